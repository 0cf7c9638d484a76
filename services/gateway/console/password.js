// Changing one's own password (POST /v1/me:change-password): the form main.js shows instead of
// the app after a login that must change its password first (a new or reset account's token
// reaches only this route, GET /v1/me and logout), and from the top bar's button at any time.
// The gateway keeps the session the change was made with and ends the user's others. The two
// new fields are compared here; the password policy is the gateway's, and its refusals are
// shown in the user's language where there is a text for them, else in its own words.
import { S, ME_KEY } from './state.js';
import { t } from './texts.js';
import { $, $$ } from './dom.js';
import { post } from './api.js';
import { toast } from './parts.js';

let forced = false;      // must change before anything else (cancel logs out)
let shownError = null;   // () => the error's text, redrawn when the language changes
let handlers = { done: () => {}, cancel: () => {} };

// The gateway's refusals (its message after "field: ") and their texts.
const GATEWAY_TEXTS = [
  [/^at least 12 characters/, 'password.err.short'],
  [/^at most 1024 bytes/, 'password.err.long'],
  [/^too common/, 'password.err.common'],
  [/^must not contain the user id/, 'password.err.userid'],
  [/^must differ from the old password/, 'password.err.same'],
  [/^not the current password/, 'password.err.wrong'],
  [/^required/, 'password.err.required'],
];
const FIELDS = { old_password: '#password-old', new_password: '#password-new' };

function errorText(e) {
  if (e.status === 429) return t('password.err.wait', { s: e.retryAfter || 1 });
  if (e.status === 503 && e.retryAfter) return t('password.err.busy');
  if (e.status === 400) {
    const what = e.message.replace(/^[\w.]+: /, '');
    for (const [pattern, key] of GATEWAY_TEXTS) if (pattern.test(what)) return t(key);
  }
  return e.message;
}

function showError(text, input) {
  shownError = text;
  const box = $('#password-error');
  box.textContent = text();
  box.hidden = false;
  if (input) {
    input.setAttribute('aria-invalid', 'true');
    input.focus();
    input.select();
  }
}

function clearError() {
  shownError = null;
  $('#password-error').hidden = true;
  for (const input of $$('#password-form input')) input.removeAttribute('aria-invalid');
}

function setBusy(busy) {
  const button = $('#password-submit');
  button.disabled = busy;
  button.textContent = t(busy ? 'password.busy' : 'password.submit');
}

// mustChange: shown right after login (the app is not usable yet) rather than from the top bar.
export function showPassword(mustChange) {
  forced = !!mustChange;
  if (forced) {
    document.body.classList.add('logged-out');
    document.body.classList.remove('logged-in');
  }
  $('#login-view').hidden = true;
  $('#app-view').hidden = true;
  $('#password-view').hidden = false;
  $('#password-form').reset();
  clearError();
  setBusy(false);
  $('#password-user').value = (S.me && S.me.user_id) || '';
  $('#password-forced').hidden = !forced;
  const cancel = $('#password-cancel');
  cancel.dataset.i18n = forced ? 'logout' : 'password.cancel';
  cancel.textContent = t(cancel.dataset.i18n);
  setTimeout(() => $('#password-old').focus(), 0);
}

export function hidePassword() {
  if ($('#password-view').hidden) return;
  $('#password-view').hidden = true;
  $('#password-form').reset();  // no password lingers in the page
  clearError();
}

export const passwordOpen = () => !$('#password-view').hidden;
export const passwordForced = () => forced && passwordOpen();

// The language changed: the error shown is drawn again (the labels follow data-i18n).
export function relabelPassword() {
  if (shownError) $('#password-error').textContent = shownError();
  setBusy($('#password-submit').disabled);
}

async function submit(ev) {
  ev.preventDefault();
  const old = $('#password-old');
  const fresh = $('#password-new');
  const repeat = $('#password-repeat');
  clearError();
  if (fresh.value !== repeat.value) {
    showError(() => t('password.err.mismatch'), repeat);
    return;
  }
  setBusy(true);
  try {
    const user = await post('/v1/me:change-password', { old_password: old.value, new_password: fresh.value });
    S.me = Object.assign({}, S.me, user, { must_change_password: !!user.must_change_password });
    sessionStorage.setItem(ME_KEY, JSON.stringify(S.me));
    const wasForced = forced;
    hidePassword();
    toast(t('password.done'), t('password.done.sessions'), null, 'green');
    handlers.done(wasForced);
  } catch (e) {
    if (e.status === 401) return;  // the session ended: main.js showed the login form
    showError(() => errorText(e), FIELDS[e.field] ? $(FIELDS[e.field]) : null);
  } finally {
    setBusy(false);
  }
}

// on.done(wasForced) after a change, on.cancel(forced) for the cancel (or log out) button.
export function initPassword(on) {
  handlers = on;
  $('#password-form').addEventListener('submit', submit);
  $('#password-cancel').addEventListener('click', () => handlers.cancel(forced));
  for (const input of $$('#password-form input')) {
    input.addEventListener('input', () => input.removeAttribute('aria-invalid'));
  }
}
