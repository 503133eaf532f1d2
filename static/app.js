// Lets a person choose a movie poster (or a made-up example), prepares it and asks the API at once whether it
// is a thriller, and shows the answer beside the poster: words with the certainty of the number, the chance on
// its scale, genres, where the model looked; keeps this visit's posters in a history strip.

// Modules are imported through the <link>s index.html names, so a release's URLs carry their version.
const moduleUrl = (id) => document.getElementById(id).href;
const { renderAnswer, answerAsText, answerInBrief, isAnswer } = await import(moduleUrl("answer-module"));
const { isEvidence, drawEvidence, evidenceInWords } = await import(moduleUrl("evidence-module"));
const { offerFeedback } = await import(moduleUrl("feedback-module"));
const { prepare, stopPreparing, readAsDataUrl } = await import(moduleUrl("poster-module"));

const TIMEOUT_MS = 30_000; // API Gateway gives up at 29 s, so waiting longer is pointless
const HISTORY_LENGTH = 12;

const $ = (id) => document.getElementById(id);
const form = $("poster-form");
const input = $("poster-input");
const cameraInput = $("camera-input");
const chooseButton = $("choose-button");
const progress = $("progress");
const progressText = $("progress-text");
const notice = $("notice");
const resultBox = $("result");
const frame = document.querySelector(".poster-frame");
const preview = $("poster-preview");
const caption = $("poster-caption");
const evidenceToggle = $("evidence-toggle");
const evidenceMap = $("evidence-map");
const evidenceLegend = $("evidence-legend");
const evidenceDescription = $("evidence-description");
const askButton = $("ask-button");
const cancelButton = $("cancel-button");
const statusLine = $("status");
const errorBox = $("error");
const errorText = $("error-text");
const retryButton = $("retry-button");
const answer = $("answer");
const copyNote = $("copy-note");
const historyBox = $("history");
const historyList = $("history-list");
const answerParts = Object.fromEntries([
  "answer", "verdict", "not-a-poster", "not-a-poster-reason", "ask-anyway-button", "poster-warning", "chance",
  "chance-text", "scale", "scale-below", "scale-band", "scale-above", "scale-base-rate", "scale-marker", "scale-key",
  "scale-key-below", "scale-key-band", "scale-key-above", "explainer", "explainer-text", "genres", "genre-list",
].map((id) => [id, $(id)]));

const apiUrl = readApiUrl();
// The poster on screen: {name, dataUrl (what is sent), previewUrl (an object URL of it), caption, kept (in the
// history, so its previewUrl lives on)}; and its answer: {result, anyway}.
let poster = null;
let shown = null;
let preparing = null; // the file being prepared; a newer choice replaces it
let askWhenReady = false; // ask as soon as the poster is prepared (every choice does, unless cancelled)
let pending = null; // the AbortController of the question in flight
const history = []; // {poster, shown, item}, newest first

class ShownError extends Error {} // its message is written for the person using the page
const REPLACED = Symbol("another poster was chosen");
const CANCELLED = Symbol("the person pressed Cancel");
const CANCELLED_NOTICE = "Cancelled: nothing was asked. Press “Ask again” to ask about this poster.";
const UNREADABLE_ANSWER = "The service sent an answer this page cannot read. Try again later.";
const NOT_A_FILE =
  "Drop an image file, not a link or text: save the poster to your device first, then drop or choose it.";
const NOT_CONFIGURED =
  "This page is not set up: config.js with the API address (apiUrl) is missing, so it cannot ask for an answer.";
const CANNOT_REACH = "Cannot reach the service: check your connection, then try again.";
const MODEL_NOT_ANSWERING =
  "The model is not answering right now: the service is up, but the model behind it did not answer. "
  + "Try again in a minute.";
const THIS_IMAGE = "The service could not read this image. Try another poster, saved as a JPEG, PNG or WebP file.";
const STATUS_WORDS = {
  413: "This image is too large for the service. Try a smaller copy of the poster.",
  429: "The service is busy right now. Try again in a moment.",
  503: MODEL_NOT_ANSWERING,
  504: MODEL_NOT_ANSWERING,
};

function readApiUrl() {
  const url = window.APP_CONFIG && window.APP_CONFIG.apiUrl;
  return typeof url === "string" && url.trim() ? url.trim().replace(/\/+$/, "") : null;
}

// ---- outcome: errors, notices, status ----

/** Shows text in the alert, scrolled into view and focused; canRetry offers "Try again". */
function showError(text, { canRetry = false } = {}) {
  errorText.textContent = text;
  retryButton.hidden = !canRetry;
  errorBox.hidden = false;
  errorBox.focus({ preventScroll: true });
  errorBox.scrollIntoView({ block: "nearest" });
}

function showNotice(text) {
  notice.textContent = text;
  notice.hidden = !text;
}

function clearOutcome() {
  if (errorBox.contains(document.activeElement)) chooseButton.focus({ preventScroll: true });
  errorBox.hidden = true;
  errorText.textContent = "";
  answer.hidden = true;
  shown = null;
  statusLine.textContent = "";
  copyNote.textContent = "";
  showNotice("");
  showEvidence(null);
  if (!apiUrl) showError(NOT_CONFIGURED);
}

// aria-disabled rather than disabled: a disabled button loses keyboard focus to the page body.
function setBusy(busy) {
  askButton.setAttribute("aria-disabled", String(busy));
  askButton.setAttribute("aria-busy", String(busy));
  const hadFocus = document.activeElement === cancelButton;
  cancelButton.hidden = !busy;
  if (hadFocus && !busy) (askButton.hidden ? chooseButton : askButton).focus();
}

function showProgress(text) {
  progressText.textContent = text;
  progress.hidden = !text;
}

// ---- choosing and preparing a poster ----

function forgetPoster() {
  if (poster && !poster.kept) URL.revokeObjectURL(poster.previewUrl);
  poster = null;
  preview.removeAttribute("src");
  preview.alt = "";
  resultBox.hidden = true;
  askButton.hidden = true;
  chooseButton.textContent = "Choose a poster";
  form.dataset.poster = "none";
}

function showPoster(chosen) {
  poster = chosen;
  preview.src = chosen.previewUrl;
  preview.alt = `The chosen poster, ${chosen.name}, as the model sees it`;
  caption.textContent = chosen.caption;
  resultBox.hidden = false;
  askButton.hidden = false;
  chooseButton.textContent = "Choose another poster";
  form.dataset.poster = "ready";
}

/** Back to no poster, nothing being prepared and nothing waiting to be asked, with text in the alert. */
function refusePoster(text) {
  preparing = null;
  askWhenReady = false;
  form.dataset.poster = "none";
  showProgress("");
  setBusy(false);
  showError(text);
}

/** Every way of choosing ends here: the poster is prepared, shown, and asked about at once. */
async function choosePoster(file) {
  if (pending) {
    pending.abort(REPLACED);
    pending = null;
  }
  if (preparing) stopPreparing(REPLACED); // a big file still being decoded would hold up this one
  askWhenReady = Boolean(apiUrl);
  setBusy(askWhenReady);
  clearOutcome();
  forgetPoster();
  if (file.type && !file.type.startsWith("image/")) {
    refusePoster(`“${file.name}” is not an image. Choose a poster as a JPEG, PNG, WebP or GIF file.`);
    return;
  }
  preparing = file;
  form.dataset.poster = "preparing";
  showProgress("Preparing the poster…");
  let prepared;
  let dataUrl;
  try {
    prepared = await prepare(file, moduleUrl("poster-worker-script"));
    dataUrl = await readAsDataUrl(prepared.blob);
  } catch (error) {
    if (preparing !== file || error === REPLACED) return;
    refusePoster(`“${file.name}” cannot be read as an image. Choose a poster as a JPEG, PNG, WebP or GIF file.`);
    return;
  }
  if (preparing !== file) return; // another poster was chosen meanwhile
  preparing = null;
  showProgress("");
  const shrunk = prepared.width !== prepared.originalWidth;
  showPoster({
    name: file.name, dataUrl, previewUrl: URL.createObjectURL(prepared.blob), kept: false,
    caption: `${file.name}: ${prepared.width} × ${prepared.height} pixels sent`
      + (shrunk ? ` (shrunk from ${prepared.originalWidth} × ${prepared.originalHeight}).` : "."),
  });
  if (askWhenReady) {
    askWhenReady = false;
    send(poster);
  }
}

async function chooseExample(button) {
  const image = button.querySelector("img");
  const name = button.textContent.trim();
  try {
    const response = await fetch(image.currentSrc || image.src);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const blob = await response.blob();
    await choosePoster(new File([blob], `${name} (made-up example).jpg`, { type: "image/jpeg" }));
  } catch (error) {
    console.warn("example poster", error);
    showError(`The example “${name}” could not be loaded. Try another one, or choose a poster of your own.`);
  }
}

// ---- asking ----

async function plainWordsFor(response) {
  let detail = "";
  try {
    const body = await response.json();
    detail = body && body.error ? `${body.error}: ${body.message}` : "";
  } catch {
    // not JSON (API Gateway's own errors are not): the status says enough
  }
  console.warn(`/predict answered HTTP ${response.status}`, detail); // for whoever runs the site
  if (STATUS_WORDS[response.status]) return STATUS_WORDS[response.status];
  if (response.status < 500) return THIS_IMAGE;
  return "The service failed to answer this time. Try again in a moment.";
}

async function predict(dataUrl, signal) {
  let response;
  try {
    response = await fetch(`${apiUrl}/predict`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ data: dataUrl, explain: true }),
      signal,
    });
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    console.warn(`cannot reach ${apiUrl}`, error);
    throw new ShownError(CANNOT_REACH);
  }
  if (!response.ok) throw new ShownError(await plainWordsFor(response));
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ShownError(UNREADABLE_ANSWER);
  }
  if (!isAnswer(body)) throw new ShownError(UNREADABLE_ANSWER);
  return body;
}

function ask(event) {
  event.preventDefault();
  if (pending || preparing) return; // the button only looks disabled while busy, so it can still be pressed
  clearOutcome();
  if (!apiUrl) return;
  if (!poster) {
    showError("Choose a poster first: use the box above, drop an image on the page or paste one, "
      + "or try one of the examples below.");
    return;
  }
  send(poster);
}

async function send(chosen) {
  clearOutcome();
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new ShownError(
      `The service did not answer within ${TIMEOUT_MS / 1000} seconds. Try again in a moment.`)),
    TIMEOUT_MS);
  pending = controller;
  setBusy(true);
  showProgress("Asking the model…");
  statusLine.textContent = "Asking the model…";
  try {
    const result = await predict(chosen.dataUrl, controller.signal);
    if (controller.signal.aborted) throw controller.signal.reason;
    showProgress("");
    remember(chosen, { result, anyway: false });
    showAnswer(result);
    bringResultIntoView();
  } catch (error) {
    const cause = controller.signal.aborted ? controller.signal.reason : error;
    if (cause === REPLACED) return;
    showProgress("");
    if (cause === CANCELLED) {
      statusLine.textContent = CANCELLED_NOTICE;
      showNotice(CANCELLED_NOTICE);
      return;
    }
    statusLine.textContent = "";
    const words = cause instanceof ShownError ? cause.message : "Something went wrong on this page. Try again.";
    if (!(cause instanceof ShownError)) console.error(cause);
    showError(words, { canRetry: poster === chosen });
  } finally {
    clearTimeout(timer);
    if (pending === controller) {
      pending = null;
      setBusy(false);
    }
  }
}

function cancel() {
  if (pending) pending.abort(CANCELLED);
  else if (askWhenReady) {
    askWhenReady = false;
    setBusy(false);
    statusLine.textContent = CANCELLED_NOTICE;
    showNotice(CANCELLED_NOTICE);
  }
}

// ---- the answer, beside its poster ----

/** The one place an answer is rendered into the answer card (anyway: a "not a poster" asked anyway). */
function showAnswer(result, { anyway = false } = {}) {
  shown = { result, anyway };
  const spoken = renderAnswer(answerParts, result, { anyway });
  const isPoster = result.verdict !== "not a poster" || anyway;
  showEvidence(isPoster ? result.evidence : null);
  copyNote.textContent = "";
  // The status line is the one live region: the answer unhidden now is not read out a second time.
  statusLine.textContent = spoken;
  answer.hidden = false;
  offerFeedback($("feedback"), { apiUrl, result, image: poster?.dataUrl,
    announce: (words) => { statusLine.textContent = words; } });
}

/** Poster and answer both in view: on a phone the answer starts under the poster, and after an example chosen at
 *  the bottom of the page both are above it. */
function bringResultIntoView() {
  const box = resultBox.getBoundingClientRect();
  const answerTop = answer.getBoundingClientRect().top;
  if (box.top < 0 || answerTop > window.innerHeight - 80) resultBox.scrollIntoView({ block: "start" });
}

function askAnyway() {
  if (!shown) return;
  shown = { ...shown, anyway: true };
  const entry = history.find((kept) => kept.poster === poster);
  if (entry) updateHistoryItem(entry, shown);
  showAnswer(shown.result, { anyway: true });
  $("verdict").focus({ preventScroll: true });
}

async function copyAnswer() {
  if (!shown || !poster) return;
  try {
    await navigator.clipboard.writeText(answerAsText(shown.result, poster.name, { anyway: shown.anyway }));
    copyNote.textContent = "Copied.";
  } catch (error) {
    console.warn("copy", error);
    copyNote.textContent = "This browser did not allow copying: select the answer's text and copy it instead.";
  }
}

// ---- history of this visit ----

function updateHistoryItem(entry, answered) {
  entry.shown = answered;
  entry.item.querySelector(".history-answer").textContent = answerInBrief(answered.result, answered);
}

function remember(chosen, answered) {
  const known = history.find((entry) => entry.poster === chosen);
  if (known) {
    updateHistoryItem(known, answered);
    return;
  }
  chosen.kept = true;
  const item = document.createElement("li");
  const button = Object.assign(document.createElement("button"), { type: "button", className: "history-item" });
  const thumbnail = Object.assign(document.createElement("img"), { src: chosen.previewUrl, alt: "" });
  const name = Object.assign(document.createElement("span"), { className: "history-name", textContent: chosen.name });
  const brief = Object.assign(document.createElement("span"), { className: "history-answer" });
  button.append(thumbnail, name, brief);
  item.append(button);
  const entry = { poster: chosen, shown: answered, item };
  button.addEventListener("click", () => showFromHistory(entry));
  updateHistoryItem(entry, answered);
  history.unshift(entry);
  historyList.prepend(item);
  for (const old of history.splice(HISTORY_LENGTH)) {
    old.item.remove();
    if (old.poster !== poster) URL.revokeObjectURL(old.poster.previewUrl);
    else old.poster.kept = false;
  }
  historyBox.hidden = false;
}

function showFromHistory(entry) {
  if (pending) {
    pending.abort(REPLACED);
    pending = null;
  }
  if (preparing) stopPreparing(REPLACED);
  preparing = null;
  askWhenReady = false;
  showProgress("");
  setBusy(false);
  clearOutcome();
  if (poster !== entry.poster) forgetPoster();
  showPoster(entry.poster);
  showAnswer(entry.shown.result, { anyway: entry.shown.anyway });
  bringResultIntoView();
}

// ---- where the model looked ----

function showEvidence(grid) {
  const usable = isEvidence(grid);
  evidenceToggle.hidden = !usable;
  setEvidenceShown(false);
  if (!usable) return;
  drawEvidence(evidenceMap, grid);
  evidenceDescription.textContent = evidenceInWords(grid);
}

function setEvidenceShown(isShown) {
  evidenceToggle.setAttribute("aria-expanded", String(isShown));
  evidenceToggle.textContent = isShown ? "Hide where the model looked" : "Show where the model looked";
  frame.dataset.evidence = isShown ? "shown" : "hidden";
  evidenceMap.hidden = !isShown;
  evidenceLegend.hidden = !isShown;
}

// ---- input: picker, camera, drop, paste, examples ----

function firstFile(dataTransfer) {
  if (!dataTransfer) return null;
  if (dataTransfer.files && dataTransfer.files.length) return dataTransfer.files[0];
  for (const item of dataTransfer.items || []) {
    if (item.kind === "file") return item.getAsFile();
  }
  return null;
}

function acceptDrags() {
  let depth = 0; // dragenter/dragleave fire for every child element crossed
  document.addEventListener("dragenter", (event) => {
    event.preventDefault();
    depth += 1;
    document.body.classList.add("is-dragging");
  });
  document.addEventListener("dragleave", () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) document.body.classList.remove("is-dragging");
  });
  document.addEventListener("dragover", (event) => {
    event.preventDefault();
    if (event.dataTransfer) event.dataTransfer.dropEffect = "copy";
  });
  document.addEventListener("drop", (event) => {
    event.preventDefault();
    depth = 0;
    document.body.classList.remove("is-dragging");
    const file = firstFile(event.dataTransfer);
    if (file) choosePoster(file);
    else showError(NOT_A_FILE);
  });
}

for (const fileInput of [input, cameraInput]) {
  fileInput.addEventListener("change", () => {
    const file = fileInput.files[0];
    fileInput.value = ""; // so choosing the same file again still counts as a choice
    if (file) choosePoster(file);
  });
}

document.addEventListener("paste", (event) => {
  const file = firstFile(event.clipboardData);
  if (file) {
    event.preventDefault();
    choosePoster(file);
  }
});

for (const button of document.querySelectorAll(".example")) {
  button.addEventListener("click", () => chooseExample(button));
}

// A button, not a <label> for the input: Chromium opens a file input's picker on Space only, a button acts on both.
chooseButton.addEventListener("click", () => input.click());
$("camera-button").addEventListener("click", () => cameraInput.click());
$("drop-zone").addEventListener("click", (event) => {
  if (!event.target.closest("button")) input.click();
});
form.addEventListener("submit", ask);
cancelButton.addEventListener("click", cancel);
retryButton.addEventListener("click", () => {
  if (poster) send(poster);
});
$("ask-anyway-button").addEventListener("click", askAnyway);
$("copy-button").addEventListener("click", copyAnswer);
evidenceToggle.addEventListener("click", () => {
  setEvidenceShown(evidenceToggle.getAttribute("aria-expanded") !== "true");
});
acceptDrags();

if (!apiUrl) showError(NOT_CONFIGURED);
// Every control is wired: the page's modules arrive by `await import()`, which the load event does not wait for.
document.documentElement.dataset.ready = "true";
