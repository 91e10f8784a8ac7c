import { test, expect, type BrowserContext } from '@playwright/test';
import { ANN, RUN, log, menu, openChat, send, signIn, startChat } from './support';
import { nodeURL } from '../nodes';

// Two server nodes on one PostgreSQL database (end2end/serve-fresh.sh with E2E_NODES): the
// visitor's widget talks to node A only, the console to node B only, as behind a load balancer
// that sent them different ways. The chat goes from the pre-chat form to a ticket.

test('a visitor on node A and staff on node B complete a chat that ends in a ticket', async ({ browser }) => {
  expect(process.env.TEST_DATABASE_URL, 'several nodes need PostgreSQL: run scripts/test.sh').toBeTruthy();
  const [nodeA, nodeB] = [nodeURL(0), nodeURL(1)];
  const opened: BrowserContext[] = [];
  try {
    const visitorName = `Nina ${RUN}`;
    const question = `Two nodes ${RUN}`;
    const ann = await signIn(browser, ANN, opened, nodeB);
    const visitor = await startChat(browser, opened, visitorName, question, 'Sales', nodeA);
    expect(new URL(visitor.url()).port).toBe(new URL(nodeA).port);
    expect(new URL(ann.url()).port).toBe(new URL(nodeB).port);

    // The chat started on A shows up in the console on B; accepting it there reaches A.
    await openChat(ann, visitorName);
    await ann.getByRole('button', { name: 'Accept chat' }).click();
    await expect(log(visitor)).toContainText(`${ANN.name} has joined the chat`);

    // Messages both ways, and typing.
    await send(visitor, `Hello from node A ${RUN}`);
    await expect(log(ann)).toContainText(`Hello from node A ${RUN}`);
    await ann.getByRole('textbox', { name: 'Message' }).fill('Let me look');
    await expect(visitor.getByText(`${ANN.name} is typing`)).toBeVisible();
    await ann.getByRole('button', { name: 'Send', exact: true }).click();
    await expect(log(visitor)).toContainText('Let me look');

    // End chat on B: the visitor on A is told the ticket number.
    await menu(ann, 'End chat');
    const dialog = ann.getByRole('dialog', { name: 'End chat' });
    await dialog.getByRole('button', { name: 'End chat' }).click();
    const status = visitor.getByText(/^Chat ended\. Your request continues as ticket #\d+\.$/);
    await expect(status).toBeVisible();
    const number = ((await status.textContent()) ?? '').match(/#(\d+)/)![1];
    await expect(ann.getByRole('link', { name: `Ticket #${number}` })).toBeVisible();

    // The ticket, opened on B, holds the whole conversation.
    await ann.getByRole('link', { name: `Ticket #${number}` }).click();
    await expect(ann.getByRole('heading', { level: 1 })).toContainText(`#${number} ${question}`, { timeout: 20_000 });
    for (const text of [question, `Hello from node A ${RUN}`, 'Let me look', 'Chat ended']) {
      await expect(log(ann)).toContainText(text);
    }
  } finally {
    for (const c of opened) await c.close();
  }
});
