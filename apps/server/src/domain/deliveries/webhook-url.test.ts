import { describe, expect, it } from 'vitest';
import { isPrivateAddress } from '../functions/private-addresses.js';
import { checkWebhookUrl } from './webhook-url.js';

const refuse = { webhookPrivateAddresses: 'refuse' as const };
const allow = { webhookPrivateAddresses: 'allow' as const };
/** A resolver for made-up names, so that nothing here asks a real DNS server. */
const names: Record<string, string[]> = {
  'hooks.example.com': ['93.184.216.34'],
  'rebind.example.com': ['93.184.216.34', '10.0.0.5'],
  'metadata.example.com': ['169.254.169.254'],
  'v6.example.com': ['2606:4700::1111'],
};
const resolve = async (host: string) => {
  const found = names[host];
  if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return found;
};

describe('webhook URLs and SSRF', () => {
  it('knows the private, loopback and link-local addresses of both families', () => {
    for (const address of [
      '127.0.0.1',
      '127.8.9.10',
      '10.1.2.3',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      '::',
      'fd00::1',
      'fe80::1',
      '::ffff:127.0.0.1',
      '::ffff:10.0.0.1',
      // IPv4 carried in IPv6 otherwise: compatible, translated, 6to4; and the reserved ranges.
      '::127.0.0.1',
      '::ffff:0:127.0.0.1',
      '2002:7f00:1::',
      'fec0::1',
      '100::1',
      '2001:db8::1',
    ]) {
      expect(isPrivateAddress(address), address).toBe(true);
    }
    for (const address of ['93.184.216.34', '8.8.8.8', '172.32.0.1', '2606:4700::1111', '::ffff:8.8.8.8']) {
      expect(isPrivateAddress(address), address).toBe(false);
    }
  });

  it('refuses URLs at private addresses, given as such or by a name that resolves to one', async () => {
    for (const url of [
      'http://127.0.0.1:8080/hook',
      'http://localhost:3000/',
      'https://10.0.0.7/hook',
      'http://[::1]/hook',
      'http://[::ffff:127.0.0.1]/hook',
      'http://169.254.169.254/latest/meta-data/',
      'https://metadata.example.com/hook',
      'https://rebind.example.com/hook',
    ]) {
      const resolver = async (host: string) => (host === 'localhost' ? ['127.0.0.1'] : resolve(host));
      await expect(checkWebhookUrl(refuse, url, resolver), url).rejects.toMatchObject({ code: 'url_not_allowed' });
    }
    const nowhere = checkWebhookUrl(refuse, 'https://nowhere.example.com/', resolve);
    await expect(nowhere).rejects.toMatchObject({ code: 'url_not_allowed' });
    await expect(nowhere).rejects.toThrow(/does not resolve/);
  });

  it('takes public http(s) URLs, and private ones only where the installation allows them', async () => {
    expect((await checkWebhookUrl(refuse, 'https://hooks.example.com/in?x=1', resolve)).href).toBe(
      'https://hooks.example.com/in?x=1',
    );
    expect((await checkWebhookUrl(refuse, 'https://v6.example.com/', resolve)).host).toBe('v6.example.com');
    expect((await checkWebhookUrl(refuse, 'http://93.184.216.34/', resolve)).host).toBe('93.184.216.34');
    expect((await checkWebhookUrl(allow, 'http://127.0.0.1:9/hook', resolve)).port).toBe('9');
  });

  it('refuses what is no http(s) URL, and credentials in it, in either mode', async () => {
    for (const config of [refuse, allow]) {
      await expect(checkWebhookUrl(config, 'not a url', resolve)).rejects.toMatchObject({ code: 'validation_failed' });
      await expect(checkWebhookUrl(config, 'ftp://hooks.example.com/', resolve)).rejects.toMatchObject({
        code: 'url_not_allowed',
      });
      await expect(checkWebhookUrl(config, 'file:///etc/passwd', resolve)).rejects.toMatchObject({
        code: 'url_not_allowed',
      });
      await expect(checkWebhookUrl(config, 'https://user:pw@hooks.example.com/', resolve)).rejects.toMatchObject({
        code: 'url_not_allowed',
      });
    }
  });
});
