/**
 * The web interface's only stylesheet and script, served as `/static/app.css` and `/static/app.js` (the
 * Content-Security-Policy allows no inline style or script). Kept as strings so the bundle needs no build step
 * or asset copying.
 */

export const APP_CSS = `*, *::before, *::after { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
[hidden] { display: none !important; }
body {
  margin: 0;
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: #1b1b1f;
  background: #ffffff;
}
a { color: #0b57d0; }
a:hover { color: #083f99; }
:focus-visible { outline: 3px solid #0b57d0; outline-offset: 2px; }
.site a:focus-visible, .skip-link:focus-visible { outline-color: #ffd54f; }
/* Headings focused by the script (to announce a result) are not controls: no focus ring. */
h2[tabindex="-1"]:focus { outline: none; }

.skip-link {
  position: absolute; left: 0.5rem; top: -4rem; z-index: 10;
  padding: 0.5rem 0.75rem; border-radius: 4px;
  background: #1b1b1f; color: #ffffff; font-weight: 600;
}
.skip-link:focus { top: 0.5rem; color: #ffffff; }
.visually-hidden {
  position: absolute !important; width: 1px; height: 1px; padding: 0; margin: -1px;
  overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0;
}
.offscreen { position: fixed; left: -9999px; top: 0; }

.site { background: #14213d; color: #ffffff; }
.site nav {
  display: flex; flex-wrap: wrap; align-items: center; gap: 0.25rem 1rem;
  max-width: 68rem; margin: 0 auto; padding: 0.5rem 1rem;
}
.site a { color: #ffffff; text-underline-offset: 0.2em; }
.site a:hover { color: #dfe6f5; }
.site a[aria-current="page"] { font-weight: 700; text-decoration-thickness: 3px; }
.site .brand { font-weight: 700; text-decoration: none; margin-right: 0.5rem; }
.site .account { margin-left: auto; display: flex; flex-wrap: wrap; align-items: center; gap: 0.5rem; }
.site form { margin: 0; }
.site button { background: transparent; border-color: #ffffff; color: #ffffff; padding: 0.2rem 0.75rem; }
.site button:hover { background: #2a3a5e; }

main { display: block; max-width: 68rem; margin: 0 auto; padding: 1rem; }
main:focus { outline: none; }
h1 { font-size: 1.6rem; line-height: 1.25; margin: 0.5rem 0 1rem; }
h2 { font-size: 1.25rem; margin: 1.5rem 0 0.5rem; }
p { max-width: 48rem; }
.muted { color: #4a4a55; }

form.stack { max-width: 32rem; }
label { display: block; font-weight: 600; margin: 0.75rem 0 0.25rem; }
.hint, .field-error { display: block; font-size: 0.9rem; margin: 0.1rem 0 0.25rem; }
.hint { color: #4a4a55; }
.field-error { color: #a1140b; font-weight: 600; }
input[type="text"], input[type="password"] {
  display: block; width: 100%; max-width: 28rem; padding: 0.5rem 0.6rem;
  font: inherit; color: inherit; background: #ffffff;
  border: 1px solid #6b6f7a; border-radius: 4px;
}
input[aria-invalid="true"] { border: 2px solid #a1140b; }
fieldset { border: 1px solid #c4c7cf; border-radius: 4px; margin: 0.75rem 0; padding: 0.5rem 1rem 0.75rem; max-width: 28rem; }
legend { font-weight: 600; padding: 0 0.25rem; }
.check { display: flex; align-items: center; gap: 0.5rem; margin: 0.4rem 0; }
.check label { display: inline; margin: 0; font-weight: 400; }
input[type="checkbox"] { width: 1.15rem; height: 1.15rem; margin: 0; accent-color: #0b57d0; }
.actions { display: flex; flex-wrap: wrap; gap: 0.5rem; align-items: center; margin-top: 1rem; }

button, .button {
  display: inline-block; font: inherit; line-height: 1.4; cursor: pointer; text-decoration: none;
  padding: 0.45rem 1rem; border-radius: 4px;
  border: 1px solid #0b57d0; background: #0b57d0; color: #ffffff;
}
button:hover, .button:hover { background: #083f99; border-color: #083f99; color: #ffffff; }
button.secondary, .button.secondary { background: #ffffff; color: #0b57d0; }
button.secondary:hover, .button.secondary:hover { background: #eef3fd; color: #083f99; }
button.danger { background: #b3261e; border-color: #b3261e; }
button.danger:hover { background: #8c1d17; border-color: #8c1d17; }
button.small { padding: 0.15rem 0.6rem; font-size: 0.9rem; }
button.plus { font-size: 1.4rem; line-height: 1; padding: 0.3rem 0.8rem; font-weight: 700; }
button:disabled, button:disabled:hover {
  background: #e3e5e9; border-color: #9a9ea8; color: #4a4a55; cursor: not-allowed;
}
.toolbar { display: flex; flex-wrap: wrap; align-items: center; gap: 0.75rem; margin: 0 0 1rem; }
.toolbar form { margin: 0; }
form.inline { display: inline; margin: 0; }

/* position: relative keeps absolutely positioned descendants (.visually-hidden) inside the scroll box. */
.table-wrap { position: relative; max-width: 100%; overflow-x: auto; border: 1px solid #c4c7cf; border-radius: 4px; margin: 0.5rem 0 1rem; }
table { border-collapse: collapse; width: 100%; }
caption { text-align: left; padding: 0.5rem; font-weight: 600; }
th, td { text-align: left; vertical-align: middle; padding: 0.5rem 0.75rem; border-top: 1px solid #d9dbe0; white-space: nowrap; }
thead th { background: #f4f5f7; border-top: 0; }
td.empty { white-space: normal; color: #4a4a55; }

code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: 0.92em; }
.secret { word-break: break-all; overflow-wrap: anywhere; background: #f4f5f7; padding: 0.1rem 0.3rem; border-radius: 3px; }
pre {
  max-width: 100%; overflow-x: auto; margin: 0.5rem 0;
  padding: 0.75rem; background: #f4f5f7; border: 1px solid #c4c7cf; border-radius: 4px;
}
dl.values { display: grid; grid-template-columns: minmax(0, max-content) minmax(0, 1fr); gap: 0.4rem 1rem; margin: 0.75rem 0; }
dl.values dt { font-weight: 600; }
dl.values dd { margin: 0; display: flex; flex-wrap: wrap; gap: 0.5rem; align-items: center; min-width: 0; }
@media (max-width: 30rem) {
  dl.values { grid-template-columns: minmax(0, 1fr); }
  dl.values dd { margin-bottom: 0.5rem; }
}
.copy-status { font-size: 0.9rem; color: #1e6b34; }

.box { border: 1px solid #c4c7cf; border-left-width: 5px; border-radius: 4px; padding: 0.75rem 1rem; margin: 0 0 1rem; max-width: 100%; }
.box > :first-child { margin-top: 0; }
.box > :last-child { margin-bottom: 0; }
.success { border-color: #1e6b34; background: #edf7ef; }
.error { border-color: #a1140b; background: #fdeceb; }
.info { border-color: #0b57d0; background: #eef3fd; }
.try-it { border-color: #4a4a55; background: #fafafa; }
.try-it h2, .try-it h3 { margin-top: 0; font-size: 1.05rem; }

dialog.once[open] {
  position: static; display: block; width: auto; max-width: 100%; height: auto;
  margin: 0 0 1.5rem; padding: 1rem; color: inherit; background: #ffffff;
  border: 2px solid #0b57d0; border-radius: 6px; box-shadow: 0 2px 12px rgba(20, 33, 61, 0.18);
}
dialog.once h2 { margin-top: 0; }

/* Without scripting, the enabled fallback button in <noscript> replaces the script-driven one. */
@media (scripting: none) { #dialog-close { display: none; } }

details.routes { margin: 1.5rem 0; }
details.routes summary { cursor: pointer; font-weight: 600; }
`;

export const APP_JS = `// Gatehouse demo: small enhancements only; every form works without this script.
(function () {
  'use strict';

  // A creation page is the answer to a POST: make reload and history go to the plain listing (no new credential,
  // no secret shown again).
  var replaceUrl = document.body.getAttribute('data-replace-url');
  if (replaceUrl && window.history && window.history.replaceState) window.history.replaceState(null, '', replaceUrl);

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).then(function () { return true; }, function () { return fallbackCopy(text); });
    }
    return Promise.resolve(fallbackCopy(text));
  }

  function fallbackCopy(text) {
    var area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.className = 'offscreen';
    document.body.appendChild(area);
    area.select();
    var copied = false;
    try { copied = document.execCommand('copy'); } catch (error) { copied = false; }
    area.remove();
    return copied;
  }

  // Copy buttons: hidden until this script runs (they need it).
  document.querySelectorAll('button[data-copy]').forEach(function (button) {
    var source = document.getElementById(button.getAttribute('data-copy'));
    var status = document.getElementById(button.getAttribute('data-copy') + '-copy-status');
    if (!source) return;
    button.hidden = false;
    button.addEventListener('click', function () {
      copyText(source.textContent.trim()).then(function (copied) {
        if (status) status.textContent = copied ? 'Copied.' : 'Copy failed; select the text and copy it.';
      });
    });
  });

  // The one-time dialog: Close stays disabled until "I have stored these" is checked.
  var stored = document.getElementById('stored-confirm');
  var close = document.getElementById('dialog-close');
  if (stored && close) {
    var sync = function () { close.disabled = !stored.checked; };
    stored.addEventListener('change', sync);
    sync();
    close.form.addEventListener('submit', function (event) {
      event.preventDefault();
      if (!stored.checked) return;
      var dialog = close.closest('dialog');
      if (dialog) dialog.remove();
      var next = document.getElementById('main');
      if (next) next.focus();
    });
  }

  var first = document.querySelector('[data-autofocus]');
  if (first) first.focus();
})();
`;
