import { describe, expect, it } from 'vitest';
import { truncateIp } from './client-address.js';

describe('truncateIp', () => {
  it.each([
    ['203.0.113.77', '203.0.113.0/24'],
    ['10.1.2.3', '10.1.2.0/24'],
    ['255.255.255.255', '255.255.255.0/24'],
  ])('cuts the IPv4 address %s to its /24', (ip, expected) => {
    expect(truncateIp(ip)).toBe(expected);
  });

  it.each([
    ['::ffff:203.0.113.77', '203.0.113.0/24'],
    ['::FFFF:198.51.100.9', '198.51.100.0/24'],
  ])('treats the IPv4-mapped address %s as the IPv4 address it carries', (ip, expected) => {
    expect(truncateIp(ip)).toBe(expected);
  });

  it.each([
    ['2001:0db8:85a3:0000:0000:8a2e:0370:7334', '2001:db8:85a3::/48'],
    ['2001:db8:85a3::8a2e:370:7334', '2001:db8:85a3::/48'],
    ['2001:DB8:85A3:1:2:3:4:5', '2001:db8:85a3::/48'],
    ['2001:db8::1', '2001:db8:0::/48'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8:0::/48'],
    ['2001:db8:1::', '2001:db8:1::/48'],
    ['::1', '0:0:0::/48'],
    ['fe80::1%eth0', 'fe80:0:0::/48'],
    ['64:ff9b::203.0.113.77', '64:ff9b:0::/48'],
  ])('cuts the IPv6 address %s to its /48', (ip, expected) => {
    expect(truncateIp(ip)).toBe(expected);
  });

  it('gives full and compressed forms of one IPv6 address the same /48', () => {
    expect(truncateIp('2001:0db8:00ab:0000:0000:0000:0000:0001')).toBe(truncateIp('2001:db8:ab::1'));
  });

  it.each([[undefined], [''], ['garbage'], ['203.0.113'], ['256.1.1.1'], ['::ffff:999.0.0.1'], ['2001:db8:::1']])(
    'answers "unknown" for %j',
    (ip) => {
      expect(truncateIp(ip)).toBe('unknown');
    },
  );

  it('never returns the last byte of an IPv4 address or more than three groups of an IPv6 one', () => {
    expect(truncateIp('203.0.113.77')).not.toContain('77');
    expect(truncateIp('2001:db8:85a3:7334::abcd')).not.toMatch(/7334|abcd/);
  });
});
