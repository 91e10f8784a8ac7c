import { test, expect, type BrowserContext, type Locator, type Page } from '@playwright/test';
import { RUN, acceptedChat, log } from './support';

// Issue 5: the Attachment button beside the chat box, files from the computer and from the
// Drive, image previews, and the live chat setting that lets visitors attach files. A visitor
// and staff in separate browser contexts; elements found by role and accessible name.

// A 1×1 PNG.
const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d4948445200000001000000010806000000' +
    '1f15c4890000000d49444154789c6300010000050001' +
    '0d0a2db40000000049454e44ae426082',
  'hex',
);
const DEFAULTS = {
  staff_emojis: true,
  client_emojis: true,
  rating_style: 'Star',
  visitor_attachments: true,
  max_file_bytes: 10 * 1024 * 1024,
  block_executables: true,
  block_scripts: true,
  block_archives: false,
};

const attachButton = (page: Page): Locator => page.getByRole('button', { name: 'Attachment', exact: true });

/** Picks `file` in the file chooser that `open` brings up. */
async function chooseFile(page: Page, open: () => Promise<void>, file: { name: string; mimeType: string; buffer: Buffer }) {
  const chooser = page.waitForEvent('filechooser');
  await open();
  await (await chooser).setFiles(file);
}

async function downloaded(page: Page, link: Locator): Promise<{ name: string; body: Buffer }> {
  const download = page.waitForEvent('download');
  await link.click();
  const d = await download;
  const stream = await d.createReadStream();
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return { name: d.suggestedFilename(), body: Buffer.concat(chunks) };
}

test.describe.configure({ mode: 'serial' });

test('staff attach a file from the computer and one from the Drive; the visitor downloads them', async ({ browser }) => {
  const opened: BrowserContext[] = [];
  try {
    const { ann, visitor } = await acceptedChat(browser, opened, 'files');

    // The Drive, in a second tab of Ann's: a folder, a file uploaded into it, then renamed.
    const drive = await ann.context().newPage();
    await drive.goto('/console');
    await drive.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Drive' }).click();
    await expect(drive.getByRole('heading', { name: 'Drive' })).toBeVisible();
    const folder = `Guides ${RUN}`;
    await drive.getByRole('textbox', { name: 'Folder name' }).fill(folder);
    await drive.getByRole('button', { name: 'New folder' }).click();
    await drive.getByRole('button', { name: `${folder}/` }).click();
    await expect(drive.getByRole('navigation', { name: 'Folder path' })).toContainText(folder);
    const pdf = Buffer.from('%PDF-1.4\n% a returns guide\n');
    await chooseFile(drive, () => drive.getByRole('button', { name: 'Upload files' }).click(), {
      name: `draft-${RUN}.pdf`,
      mimeType: 'application/pdf',
      buffer: pdf,
    });
    await expect(drive.getByRole('link', { name: `draft-${RUN}.pdf` })).toBeVisible();
    await drive.getByRole('button', { name: `Rename draft-${RUN}.pdf` }).click();
    await drive.getByRole('textbox', { name: `New name for draft-${RUN}.pdf` }).fill(`returns-${RUN}.pdf`);
    await drive.getByRole('button', { name: 'Save' }).click();
    await expect(drive.getByRole('link', { name: `returns-${RUN}.pdf` })).toBeVisible();
    await drive.close();

    // From the computer.
    const notes = `notes-${RUN}.txt`;
    const text = `Order 1042, shipped ${RUN}\n`;
    await chooseFile(
      ann,
      async () => {
        await attachButton(ann).click();
        await ann.getByRole('menu', { name: 'Attachment' }).getByRole('menuitem', { name: 'From computer' }).click();
      },
      { name: notes, mimeType: 'text/plain', buffer: Buffer.from(text) },
    );
    await expect(log(ann).getByRole('link', { name: notes })).toBeVisible();
    await expect(log(visitor).getByRole('link', { name: notes })).toBeVisible();
    await expect(log(visitor)).toContainText('text/plain');

    // From the Drive.
    await attachButton(ann).click();
    await ann.getByRole('menu', { name: 'Attachment' }).getByRole('menuitem', { name: 'From Drive' }).click();
    const picker = ann.getByRole('dialog', { name: 'From Drive' });
    await picker.getByRole('button', { name: `${folder}/` }).click();
    await picker.getByRole('button', { name: `Share returns-${RUN}.pdf` }).click();
    await expect(picker).toBeHidden();
    await expect(log(visitor).getByRole('link', { name: `returns-${RUN}.pdf` })).toBeVisible();

    // The visitor downloads both, byte for byte.
    const first = await downloaded(visitor, log(visitor).getByRole('link', { name: notes }));
    expect(first.name).toBe(notes);
    expect(first.body.toString()).toBe(text);
    const second = await downloaded(visitor, log(visitor).getByRole('link', { name: `returns-${RUN}.pdf` }));
    expect(second.name).toBe(`returns-${RUN}.pdf`);
    expect(second.body.equals(pdf)).toBeTruthy();
  } finally {
    for (const c of opened) await c.close();
  }
});

test('the visitor attaches, drops and pastes images and staff see their previews; a disguised program is refused', async ({ browser }) => {
  const opened: BrowserContext[] = [];
  try {
    const { ann, visitor } = await acceptedChat(browser, opened, 'image');
    const photo = `photo-${RUN}.png`;
    await chooseFile(visitor, () => attachButton(visitor).click(), { name: photo, mimeType: 'image/png', buffer: PNG });

    const preview = log(ann).getByRole('img', { name: photo });
    await expect(preview).toBeVisible();
    // The preview really loaded from the server (an image that failed has no width).
    await expect.poll(() => preview.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(1);
    await expect(log(visitor).getByRole('img', { name: photo })).toBeVisible();

    // An image dropped on the chat box goes up too.
    const dropped = `dropped-${RUN}.png`;
    await visitor.getByRole('textbox', { name: 'Message' }).evaluate(
      (el, { name, bytes }) => {
        const data = new DataTransfer();
        data.items.add(new File([new Uint8Array(bytes)], name, { type: 'image/png' }));
        el.dispatchEvent(new DragEvent('dragover', { dataTransfer: data, bubbles: true, cancelable: true }));
        el.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
      },
      { name: dropped, bytes: [...PNG] },
    );
    await expect(log(ann).getByRole('img', { name: dropped })).toBeVisible();

    // And so does one pasted into it.
    const pasted = `pasted-${RUN}.png`;
    await visitor.getByRole('textbox', { name: 'Message' }).evaluate(
      (el, { name, bytes }) => {
        const data = new DataTransfer();
        data.items.add(new File([new Uint8Array(bytes)], name, { type: 'image/png' }));
        el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
      },
      { name: pasted, bytes: [...PNG] },
    );
    await expect(log(ann).getByRole('img', { name: pasted })).toBeVisible();

    // An executable named like a picture is recognised by its content and refused.
    const elf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(200)]);
    await chooseFile(visitor, () => attachButton(visitor).click(), { name: 'holiday.png', mimeType: 'image/png', buffer: elf });
    await expect(visitor.getByRole('alert').filter({ hasText: 'holiday.png' })).toHaveText(
      'holiday.png is a program; files of that type cannot be sent.',
    );
    await expect(log(ann).getByRole('link', { name: 'holiday.png' })).toHaveCount(0);
  } finally {
    for (const c of opened) await c.close();
  }
});

test('an upload shows its progress and can be cancelled; nothing reaches the chat', async ({ browser }) => {
  const opened: BrowserContext[] = [];
  try {
    const { ann, visitor } = await acceptedChat(browser, opened, 'cancel');
    // A slow line, so the upload is still under way when cancelled.
    const cdp = await visitor.context().newCDPSession(visitor);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 20,
      downloadThroughput: -1,
      uploadThroughput: 64 * 1024,
    });
    const big = `big-${RUN}.txt`;
    await chooseFile(visitor, () => attachButton(visitor).click(), {
      name: big,
      mimeType: 'text/plain',
      buffer: Buffer.alloc(4 * 1024 * 1024, 'a'),
    });
    const bar = visitor.getByRole('progressbar', { name: `Uploading ${big}` });
    await expect(bar).toBeVisible();
    await expect.poll(async () => Number(await bar.getAttribute('value'))).toBeGreaterThan(0);
    // Cancel really stops the request in the browser.
    const aborted = visitor.waitForEvent('requestfailed', (r) => r.url().includes('/api/upload_attachment'));
    await visitor.getByRole('button', { name: `Cancel ${big}` }).click();
    expect((await aborted).failure()?.errorText).toBe('net::ERR_ABORTED');
    await expect(bar).toHaveCount(0);
    // Later files still go through, and the cancelled one never shows. The line stays slow:
    // Chromium's network process drops an aborted request a moment after the page does, and
    // lifting the throttle in that moment sends the rest of the file at full speed, so the
    // server could get all of it, closing boundary included, and rightly store it.
    const small = `small-${RUN}.txt`;
    await chooseFile(visitor, () => attachButton(visitor).click(), { name: small, mimeType: 'text/plain', buffer: Buffer.from('ok') });
    await expect(log(ann).getByRole('link', { name: small })).toBeVisible();
    await expect(log(ann).getByRole('link', { name: big })).toHaveCount(0);
  } finally {
    for (const c of opened) await c.close();
  }
});

test("turning visitor attachments off hides the widget's Attachment button live", async ({ browser }) => {
  const opened: BrowserContext[] = [];
  try {
    const { ann, visitor } = await acceptedChat(browser, opened, 'setting');
    await expect(attachButton(visitor)).toBeVisible();

    const settings = await ann.context().newPage();
    await settings.goto('/console/settings');
    const form = settings.getByRole('main');
    await expect(form.getByRole('button', { name: 'Save settings' })).toBeVisible();
    await form.getByRole('checkbox', { name: 'Visitors may attach files' }).uncheck();
    await form.getByRole('button', { name: 'Save settings' }).click();
    await expect(form.getByRole('status')).toHaveText('Settings saved.');

    // The open widget follows without a reload; staff keep theirs.
    await expect(attachButton(visitor)).toHaveCount(0);
    await expect(attachButton(ann)).toBeVisible();

    await form.getByRole('checkbox', { name: 'Visitors may attach files' }).check();
    await form.getByRole('button', { name: 'Save settings' }).click();
    await expect(attachButton(visitor)).toBeVisible();
  } finally {
    const staff = opened[0];
    if (staff) {
      const res = await staff.request.post('/api/admin_save_live_chat_settings', { data: { settings: DEFAULTS } });
      expect(res.ok()).toBeTruthy();
    }
    for (const c of opened) await c.close();
  }
});
