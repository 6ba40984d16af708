import { describe, expect, it } from 'vitest';
import { MAX_TOKEN_CHARS, MAX_TOKENS_PER_MESSAGE, searchTokens } from './tokens.js';

describe('searchTokens', () => {
  it('lower-cases and splits on everything that is not a letter or digit', () => {
    expect(searchTokens('Hello, World! Order #4711 (urgent)—see e-mail.')).toEqual([
      'hello',
      'world',
      'order',
      '4711',
      'urgent',
      'see',
      'mail',
    ]);
  });

  it('folds diacritics, so Müller finds muller and café finds cafe', () => {
    expect(searchTokens('Müller')).toEqual(searchTokens('muller'));
    expect(searchTokens('CAFÉ crème brûlée')).toEqual(['cafe', 'creme', 'brulee']);
    expect(searchTokens('Ångström Øre Čapek naïve')).toEqual(['angstrom', 'øre', 'capek', 'naive']);
  });

  it('folds ß to ss (and capital ẞ too)', () => {
    expect(searchTokens('Straße STRAẞE strasse')).toEqual(['strasse']);
  });

  it('reads the same text written with combining marks or precomposed alike', () => {
    const precomposed = 'Ma\u00f1ana';
    const combining = 'Man\u0303ana';
    expect(searchTokens(precomposed)).toEqual(['manana']);
    expect(searchTokens(combining)).toEqual(['manana']);
  });

  it('applies NFKC: full-width letters, ligatures and superscripts read as their plain forms', () => {
    expect(searchTokens('ＡＢＣ ﬁle x²y')).toEqual(['abc', 'file', 'x2y']);
  });

  it('drops words of fewer than 2 characters, counting characters, not UTF-16 units', () => {
    expect(searchTokens('a b c 1 2 ok 𝒳 𝒳𝒳')).toEqual(['ok', 'xx']);
    // An astral letter that NFKC leaves as it is: one character, two UTF-16 units.
    expect(searchTokens('𠀀 𠀀𠀀')).toEqual(['𠀀𠀀']);
  });

  it('cuts words to 64 characters, never inside a surrogate pair', () => {
    const [long] = searchTokens('x'.repeat(100));
    expect(long).toBe('x'.repeat(MAX_TOKEN_CHARS));
    const [astral] = searchTokens('𠀀'.repeat(70));
    expect(Array.from(astral ?? '')).toHaveLength(MAX_TOKEN_CHARS);
    expect(astral).toBe('𠀀'.repeat(MAX_TOKEN_CHARS));
  });

  it('keeps each word once, in the order it first appears', () => {
    expect(searchTokens('the cat and THE Cat and the dog')).toEqual(['the', 'cat', 'and', 'dog']);
  });

  it('keeps at most 500 words per message, and fewer when asked', () => {
    const text = Array.from({ length: 700 }, (_, i) => `w${i}`).join(' ');
    const tokens = searchTokens(text);
    expect(tokens).toHaveLength(MAX_TOKENS_PER_MESSAGE);
    expect(tokens.at(-1)).toBe('w499');
    expect(searchTokens(text, 11)).toHaveLength(11);
  });

  it('reads letters and digits of every script, with scripts written without spaces as one run', () => {
    expect(searchTokens('Привет, МИР! Γειά σου ΚΌΣΜΟΣ')).toEqual(['привет', 'мир', 'γεια', 'σου', 'κοσμοσ']);
    expect(searchTokens('東京タワー 123')).toEqual(['東京タワー', '123']);
    expect(searchTokens('안녕하세요')).toEqual(['안녕하세요']);
  });

  it('finds no word in punctuation, emoji or whitespace', () => {
    expect(searchTokens('  ?! 🙂🙂 … -- \n\t ')).toEqual([]);
  });
});
