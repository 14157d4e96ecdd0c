import { test, expect } from '@playwright/test';
import { installHydrationProbe, hydrated } from './hydration-probe';
import { api, remember, shots, signIn, uploadText, BASE } from './helpers';

// Live collaboration (issue 13): a guest and a staff member on the same document, each in
// their own browser. Each sees the other arrive (presence), comments appear on the other
// side without a reload, typing shows, and a staff-only thread never reaches the guest.

test('staff and a guest comment on a document live, each seeing who is there', async ({ page, browser }, info) => {
  await installHydrationProbe(page);
  await signIn(page);
  const rest = await api();
  const documentId = await uploadText(rest, 'Settlement draft', 'settlement.txt', '1. Payment within 30 days.\n2. Confidentiality.\n');
  const share = await rest.post('/api/v1/shares', {
    data: { item: documentId, recipient: { name: 'Carla Counsel', email: 'carla@counsel.example' }, expires_in_days: 7, require_acknowledgement: true, settings: { permission: 'comment' } },
  });
  expect(share.ok(), await share.text()).toBeTruthy();
  const { url } = await share.json();
  remember(url);

  // The guest opens the share: an empty comments panel, ready to write.
  const guestContext = await browser.newContext({ baseURL: BASE });
  const guest = await guestContext.newPage();
  await installHydrationProbe(guest);
  await guest.goto(url);
  await guest.getByTestId('ack').check();
  await guest.getByTestId('continue').click();
  await expect(guest).toHaveURL(/\/portal$/);
  await hydrated(guest);
  await expect(guest.getByTestId('comments')).toContainText('No comments yet.');

  // Staff open the document's Comments tab: the guest is there.
  await page.goto(`/console/documents/${documentId}?tab=comments`);
  await hydrated(page);
  await expect(page.getByTestId('presence')).toContainText('Carla Counsel · counsel.example');
  // And the guest sees staff arrive, by default without their name.
  await expect(guest.getByTestId('presence')).toContainText('Staff of');

  // The guest starts a thread on page 2; staff see it appear without a reload, and see
  // the guest typing first.
  await guest.getByTestId('new-comment').fill('Clause 2 should name the parties it binds.');
  await expect(page.getByTestId('typing')).toContainText('Carla Counsel is writing a comment');
  await guest.getByTestId('comment-page').fill('2');
  await guest.getByTestId('post-thread').click();
  await expect(guest.getByTestId('comment-body')).toHaveText('Clause 2 should name the parties it binds.');
  const staffThread = page.getByTestId('thread').filter({ hasText: 'Clause 2 should name' });
  await expect(staffThread).toBeVisible();
  await expect(staffThread).toContainText('Page 2');
  await expect(staffThread).toContainText('Read by Carla Counsel');

  // Staff reply; the guest sees it live, from "Staff of …".
  await staffThread.getByTestId('reply').click();
  await staffThread.getByTestId('comment-text').fill('Agreed — revised wording follows.');
  await expect(guest.getByTestId('typing')).toContainText('is replying');
  await staffThread.getByTestId('post-comment').click();
  // The guest reads one thread (while they edit it, its text is in the edit box).
  const guestThread = guest.getByTestId('thread').first();
  await expect(guestThread).toContainText('Agreed — revised wording follows.');
  await expect(guestThread).toContainText('Staff of');

  // A staff-only note never reaches the guest.
  await page.getByTestId('comment-audience').selectOption('staff');
  await page.getByTestId('new-comment').fill('Internal: check with finance before replying.');
  await page.getByTestId('post-thread').click();
  await expect(page.getByTestId('thread').filter({ hasText: 'Internal: check with finance' })).toContainText('Staff only');
  // The guest edits their comment (theirs, within 15 minutes); staff see the edit.
  await guestThread.getByTestId('edit-comment').first().click();
  await guestThread.getByTestId('comment-text').fill('Clause 2 should name every party it binds.');
  await guestThread.getByTestId('post-comment').click();
  await expect(page.getByTestId('thread').filter({ hasText: 'Clause 2 should name every party' })).toContainText('edited');
  // The edit box closed on the guest's side, showing the new text.
  await expect(guestThread.getByTestId('comment-text')).toHaveCount(0);
  await expect(guestThread.getByTestId('comment-body').first()).toHaveText('Clause 2 should name every party it binds.');
  await expect(guest.getByTestId('comments')).not.toContainText('Internal: check with finance');
  await expect(guest.getByTestId('comment-count')).toHaveText('2');

  // A blank comment is refused in place, and nothing is lost of what was typed elsewhere.
  await guest.getByTestId('new-comment').fill('   ');
  await guest.getByTestId('post-thread').click();
  await expect(guest.locator('#new-thread-body-error')).toContainText('write something first');

  await shots(page, info, '01-staff-comments');
  await shots(guest, info, '02-guest-comments');

  // The guest leaves: staff no longer see them present.
  await guestContext.close();
  await expect(page.getByTestId('presence')).toHaveCount(0);
});

// Live activity (issue 13): staff watch a share and its document while the guest acts; each
// event appears at the top as it happens, and a revocation changes the share's state on
// the open page.
test('staff see a guest open, comment and lose access as it happens', async ({ page, browser }, info) => {
  await installHydrationProbe(page);
  await signIn(page);
  const rest = await api();
  const documentId = await uploadText(rest, 'Audit findings', 'findings.txt', 'Finding 1: access reviews are late.\n');
  const share = await rest.post('/api/v1/shares', {
    data: { item: documentId, recipient: { name: 'Otto Auditor', email: 'otto@audit.example' }, expires_in_days: 7, settings: { permission: 'comment' } },
  });
  expect(share.ok(), await share.text()).toBeTruthy();
  const { url, id: shareId } = await share.json();
  remember(url);

  await page.goto(`/console/share/${shareId}`);
  await hydrated(page);
  const events = page.locator('.share-events');
  await expect(events.locator('[data-event="share.created"]')).toBeVisible();

  // The guest opens the link: staff see it arrive, marked as new.
  const guestContext = await browser.newContext({ baseURL: BASE });
  const guest = await guestContext.newPage();
  await installHydrationProbe(guest);
  await guest.goto(url);
  await guest.getByTestId('continue').click();
  await expect(guest).toHaveURL(/\/portal$/);
  await hydrated(guest);
  await expect(events.locator('tr.arrived[data-event="share.accessed"]')).toBeVisible();
  await expect(events.locator('tr.arrived[data-event="share.accessed"]')).toContainText('Opened the share');

  // The guest comments: it shows on the share page, newest first.
  await guest.getByTestId('new-comment').fill('Finding 1 is addressed in the Q3 plan.');
  await guest.getByTestId('post-thread').click();
  await expect(events.locator('tbody tr').first()).toHaveAttribute('data-event', 'comment.posted');
  // The share page also holds the conversation with this recipient, and who is viewing.
  await expect(page.getByTestId('comments')).toContainText('Finding 1 is addressed in the Q3 plan.');
  await expect(page.getByTestId('presence')).toContainText('Otto Auditor');

  // And on the document's Activity tab.
  await page.goto(`/console/documents/${documentId}?tab=activity`);
  await hydrated(page);
  await guest.getByTestId('new-comment').fill('Finding 2 needs an owner.');
  await guest.getByTestId('post-thread').click();
  await expect(page.locator('tr.arrived[data-event="comment.posted"]')).toHaveCount(1);

  // Revoked from elsewhere: the open share page shows it, and its state changes.
  await page.goto(`/console/share/${shareId}`);
  await hydrated(page);
  const revoke = await rest.post(`/api/v1/shares/${shareId}/revoke`, { data: {} });
  expect(revoke.ok()).toBeTruthy();
  await expect(events.locator('tr.arrived[data-event="share.revoked"]')).toBeVisible();
  await expect(page.locator('h1 .badge')).toHaveText('Revoked');
  await expect(guest.getByText('This link has been revoked.')).toBeVisible();
  await events.scrollIntoViewIfNeeded();
  await shots(page, info, '03-share-activity');
  await guestContext.close();
});

// A view-only guest reads what staff address to them, and has nothing to write with.
test('a view-only guest reads the conversation but cannot write', async ({ browser }, info) => {
  const rest = await api();
  const documentId = await uploadText(rest, 'Briefing note', 'briefing.txt', 'Read only.\n');
  const share = await rest.post('/api/v1/shares', {
    data: { item: documentId, recipient: { name: 'Vera Viewer', email: 'vera@agency.example' }, expires_in_days: 7, settings: { permission: 'view' } },
  });
  expect(share.ok(), await share.text()).toBeTruthy();
  const { url, id: shareId } = await share.json();
  remember(url);
  const note = await rest.post(`/api/v1/documents/${documentId}/comments`, {
    data: { body: 'Please read section 2 first.', audience: { share: shareId } },
  });
  expect(note.ok(), await note.text()).toBeTruthy();

  const guestContext = await browser.newContext({ baseURL: BASE });
  const guest = await guestContext.newPage();
  await installHydrationProbe(guest);
  await guest.goto(url);
  await hydrated(guest);
  await guest.getByTestId('continue').click();
  await expect(guest).toHaveURL(/\/portal$/);
  await hydrated(guest);
  await expect(guest.getByTestId('comments')).toContainText('Please read section 2 first.');
  await expect(guest.getByTestId('new-comment')).toHaveCount(0);
  await expect(guest.getByTestId('reply')).toHaveCount(0);
  await shots(guest, info, '04-view-only-guest');
  await guestContext.close();
});
