import { describe, expect, it } from 'vitest';
import { logIn, openOperator } from '../../apps/server/src/test-support/cluster.js';
import { chatWindow } from './support/widget.js';
import { openAndConsent, operatorOnline, say, stored, useWidgetInstallation } from './support/widget-installation.js';

describe('the widget through a server restart', () => {
  const w = useWidgetInstallation();

  it('reconnects by itself, resends what had no answer once, and keeps the conversation', async () => {
    const operator = await operatorOnline(w);
    const chat = await openAndConsent(w);
    const first = await say(chat, operator, 'Before the restart');
    const { conversationId } = first;
    operator.close();

    const { dataDir, port } = w.node;
    await w.node.stop();
    await chat.getByText('Connection lost. Reconnecting…').waitFor();
    await chat.getByRole('textbox', { name: 'Your message' }).fill('Typed while the server was away');
    await chat.getByRole('textbox', { name: 'Your message' }).press('Enter');
    await chat.getByText('Sending…').waitFor();

    w.node = await w.installation.startNode({ dataDir, port, env: { MAX_MESSAGE_CHARS: '12000' } });
    // Back within the backoff, under the same visitor: the message goes out once and is acknowledged.
    await chat.getByText('Sending…').waitFor({ state: 'detached', timeout: 30_000 });
    await expect.poll(() => chat.getByText('Typed while the server was away').count()).toBe(1);
    expect(await chat.getByText('Before the restart').count()).toBe(1);

    const again = await openOperator(w.node, await logIn(w.node, w.owner));
    again.send({ type: 'resume', conversationId, sinceSeq: 0 });
    await again.next('resumed', (f) => f.conversationId === conversationId);
    const bodies = again.frames.flatMap((f) => (f.type === 'message.created' ? [f.message.body] : []));
    expect(bodies).toEqual(['Before the restart', 'Typed while the server was away']);

    // The saved conversation still opens after a reload: the same visitor, its operator shown.
    await w.page.reload();
    await chatWindow(w.page).getByText('Typed while the server was away').waitFor();
    await chatWindow(w.page).getByRole('heading', { name: 'Ada Lovelace' }).waitFor();
    expect((await stored(w)).site).toEqual([`plauder:${w.owner.publicKey}`]);
    again.close();
  });
});
