import { describe, expect, it } from 'vitest';
import { linkify } from './linkify.js';

describe('linkify', () => {
  it('links http and https addresses and keeps the rest as text', () => {
    expect(linkify('see https://example.com/a?b=1, or http://x.org.')).toEqual([
      { kind: 'text', text: 'see ' },
      { kind: 'link', text: 'https://example.com/a?b=1', href: 'https://example.com/a?b=1' },
      { kind: 'text', text: ', or ' },
      { kind: 'link', text: 'http://x.org', href: 'http://x.org/' },
      { kind: 'text', text: '.' },
    ]);
  });

  it('never links javascript: or data: addresses, nor markup', () => {
    for (const text of ['javascript:alert(1)', 'data:text/html,<script>alert(1)</script>', '<a href="x">x</a>']) {
      expect(linkify(text)).toEqual([{ kind: 'text', text }]);
    }
  });

  it('stops an address at quotes and angle brackets', () => {
    expect(linkify('<https://a.example/"onmouseover=x>')).toEqual([
      { kind: 'text', text: '<' },
      { kind: 'link', text: 'https://a.example/', href: 'https://a.example/' },
      { kind: 'text', text: '"onmouseover=x>' },
    ]);
  });
});
