// Lets a person choose a movie poster (or a made-up example), prepares it when chosen, asks the API
// whether it is a thriller, and tells the answer once: verdict, calibrated chance, genres, evidence.

const TIMEOUT_MS = 30_000; // API Gateway gives up at 29 s, so waiting longer is pointless
const SHOWN_GENRES = 3;
const VERDICTS = {
  "thriller/crime": { tone: "thriller", heading: "This is a thriller/crime movie! Enjoy!" },
  "hard to tell": { tone: "hard-to-tell", heading: "Hard to tell from this poster: it could go either way." },
  "not thriller": { tone: "not-thriller", heading: "This is not a thriller/crime movie! Not sure you will like it..." },
  "not a poster": {
    tone: "not-a-poster", heading: "This does not look like a movie poster. Try the poster of a movie.",
  },
};

const $ = (id) => document.getElementById(id);
const form = $("poster-form");
const input = $("poster-input");
const dropZoneAction = $("drop-zone-action");
const progress = $("progress");
const progressText = $("progress-text");
const figure = $("poster-figure");
const preview = $("poster-preview");
const caption = $("poster-caption");
const evidence = $("evidence");
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
const verdict = $("verdict");
const chance = $("chance");
const chanceText = $("chance-text");
const scale = $("scale");
const genres = $("genres");
const genreList = $("genre-list");

const apiUrl = readApiUrl();
let poster = null; // the prepared poster: {dataUrl (what is sent), previewUrl (an object URL of the same image)}
let preparing = null; // the file being prepared; a newer choice replaces it
let askWhenReady = false; // the button was pressed (or an example chosen) before the poster was ready
let pending = null; // the AbortController of the question in flight
let worker = null;
const workerJobs = new Map(); // job id -> {resolve, reject}
let nextJobId = 0;

class ShownError extends Error {} // its message is written for the person using the page
const REPLACED = Symbol("another poster was chosen");
const CANCELLED = Symbol("the person pressed Cancel");
const WORKER_UNAVAILABLE = Symbol("no module worker can run here");
const CANCELLED_STATUS = "Cancelled. Press the button to ask again.";
const UNREADABLE_ANSWER = "The service sent an answer this page cannot read. Try again later.";
const NOT_A_FILE =
  "Drop an image file, not a link or text: save the poster to your device first, then drop or choose it.";
const NOT_CONFIGURED =
  "This page is not set up: config.js with the API address (apiUrl) is missing, so it cannot ask for an answer.";
const STATUS_WORDS = {
  413: "This image is too large for the service. Try a smaller copy of the poster.",
  429: "The service is busy right now. Try again in a moment.",
};

function readApiUrl() {
  const url = window.APP_CONFIG && window.APP_CONFIG.apiUrl;
  return typeof url === "string" && url.trim() ? url.trim().replace(/\/+$/, "") : null;
}

// ---- outcome: errors, status, answer ----

/** Shows text in the alert, scrolled into view and focused; canRetry offers "Try again". */
function showError(text, { canRetry = false } = {}) {
  errorText.textContent = text;
  retryButton.hidden = !canRetry;
  errorBox.hidden = false;
  errorBox.focus({ preventScroll: true });
  errorBox.scrollIntoView({ block: "nearest" });
}

function clearOutcome() {
  if (errorBox.contains(document.activeElement)) askButton.focus({ preventScroll: true });
  errorBox.hidden = true;
  errorText.textContent = "";
  answer.hidden = true;
  statusLine.textContent = "";
  showEvidence(null);
  if (!apiUrl) showError(NOT_CONFIGURED);
}

// aria-disabled rather than disabled: a disabled button loses keyboard focus to the page body.
function setBusy(busy) {
  askButton.setAttribute("aria-disabled", String(busy));
  askButton.setAttribute("aria-busy", String(busy));
  const hadFocus = document.activeElement === cancelButton;
  cancelButton.hidden = !busy;
  if (hadFocus && !busy) askButton.focus();
}

function showProgress(text) {
  progressText.textContent = text;
  progress.hidden = !text;
}

// ---- choosing and preparing a poster ----

function forgetPoster() {
  if (poster) URL.revokeObjectURL(poster.previewUrl);
  poster = null;
  preview.removeAttribute("src");
  preview.alt = "";
  figure.hidden = true;
  dropZoneAction.textContent = "Choose a poster";
  form.dataset.poster = "none";
}

function readAsDataUrl(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
}

function startWorker() {
  const url = $("poster-worker-script").href; // index.html names it, so a release's URL carries its version
  worker = new Worker(url, { type: "module" });
  worker.addEventListener("message", ({ data }) => {
    const job = workerJobs.get(data.id);
    workerJobs.delete(data.id);
    if (job && data.prepared) job.resolve(data.prepared);
    else if (job) job.reject(new Error(data.failure));
  });
  worker.addEventListener("error", (event) => { // no module workers here: prepare in place from now on
    event.preventDefault();
    stopWorker(WORKER_UNAVAILABLE);
    worker = false;
  });
}

function stopWorker(reason) {
  if (worker) worker.terminate();
  worker = null;
  for (const job of workerJobs.values()) job.reject(reason);
  workerJobs.clear();
}

async function prepareInPlace(file) {
  const { preparePoster } = await import($("poster-worker-script").href);
  return preparePoster(file);
}

function prepare(file) {
  const workerCanDraw = typeof OffscreenCanvas !== "undefined" && typeof Worker !== "undefined";
  if (worker === false || !workerCanDraw) return prepareInPlace(file);
  if (worker === null) startWorker();
  return new Promise((resolve, reject) => {
    const id = nextJobId++;
    workerJobs.set(id, { resolve, reject });
    worker.postMessage({ id, file });
  }).catch((error) => (error === WORKER_UNAVAILABLE ? prepareInPlace(file) : Promise.reject(error)));
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

async function choosePoster(file, { ask = false } = {}) {
  if (pending) {
    pending.abort(REPLACED);
    pending = null;
  }
  if (preparing) stopWorker(REPLACED); // a big file still being decoded would hold up this one
  askWhenReady = ask && Boolean(apiUrl);
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
    prepared = await prepare(file);
    dataUrl = await readAsDataUrl(prepared.blob);
  } catch (error) {
    if (preparing !== file || error === REPLACED) return;
    refusePoster(`“${file.name}” cannot be read as an image. Choose a poster as a JPEG, PNG, WebP or GIF file.`);
    return;
  }
  if (preparing !== file) return; // another poster was chosen meanwhile
  preparing = null;
  showProgress("");
  poster = { dataUrl, previewUrl: URL.createObjectURL(prepared.blob) };
  preview.src = poster.previewUrl;
  preview.alt = `The chosen poster, ${file.name}, as the model sees it`;
  const shrunk = prepared.width !== prepared.originalWidth;
  caption.textContent = `${file.name}: ${prepared.width} × ${prepared.height} pixels sent`
    + (shrunk ? ` (shrunk from ${prepared.originalWidth} × ${prepared.originalHeight}).` : ".");
  figure.hidden = false;
  dropZoneAction.textContent = "Choose another poster";
  form.dataset.poster = "ready";
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
    await choosePoster(new File([blob], `${name} (made-up example).jpg`, { type: "image/jpeg" }), { ask: true });
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
  if (response.status < 500) {
    return "The service could not read this image. Try another poster, saved as a JPEG, PNG or WebP file.";
  }
  return "The service could not answer right now. Try again in a moment.";
}

function isProbability(value) {
  return Number.isFinite(value) && value >= 0 && value <= 1;
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
    throw new ShownError("Cannot reach the service. Check your connection and try again.");
  }
  if (!response.ok) throw new ShownError(await plainWordsFor(response));
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ShownError(UNREADABLE_ANSWER);
  }
  if (!body || typeof body !== "object" || !Object.hasOwn(VERDICTS, body.verdict) || !isProbability(body.probability)) {
    throw new ShownError(UNREADABLE_ANSWER);
  }
  return body;
}

function ask(event) {
  event.preventDefault();
  if (pending) return; // the button only looks disabled while waiting, so it can still be pressed
  clearOutcome();
  if (!apiUrl) return;
  if (preparing) {
    askWhenReady = true;
    setBusy(true);
    statusLine.textContent = "Preparing the poster…";
    return;
  }
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
  statusLine.textContent = "Asking the model…";
  try {
    const result = await predict(chosen.dataUrl, controller.signal);
    if (controller.signal.aborted) throw controller.signal.reason;
    showAnswer(result);
  } catch (error) {
    const cause = controller.signal.aborted ? controller.signal.reason : error;
    if (cause === REPLACED) return;
    if (cause === CANCELLED) {
      statusLine.textContent = CANCELLED_STATUS;
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
    statusLine.textContent = CANCELLED_STATUS;
  }
}

// ---- the answer ----

const outOf100 = (probability) => Math.round(probability * 100);
const percentOf = (probability) => `${outOf100(probability)}%`;

function baseRateInWords(baseRate) {
  const oneIn = Math.round(1 / baseRate);
  return oneIn >= 2 ? `about 1 movie in ${oneIn} is one` : `${percentOf(baseRate)} of movies are`;
}

function place(id, from, to) {
  const zone = $(id);
  zone.style.setProperty("--from", String(from));
  zone.style.setProperty("--to", String(to));
}

function showScale(result, tone) {
  const [low, high] = result.hard_to_tell_band;
  for (const [zone, from, to] of [["below", 0, low], ["band", low, high], ["above", high, 1]]) {
    place(`scale-${zone}`, from, to);
    place(`scale-label-${zone}`, from, to);
  }
  $("scale-base-rate").style.setProperty("--at", String(result.base_rate));
  $("scale-marker").style.setProperty("--at", String(result.probability));
  scale.dataset.tone = tone;
}

function showGenres(list) {
  genreList.replaceChildren(...list.slice(0, SHOWN_GENRES).map(({ genre, probability }) => {
    const item = document.createElement("li");
    const name = Object.assign(document.createElement("span"), { className: "genre-name", textContent: genre });
    const bar = Object.assign(document.createElement("span"), { className: "genre-bar" });
    bar.setAttribute("aria-hidden", "true");
    bar.style.setProperty("--share", String(probability));
    const value = Object.assign(document.createElement("span"),
      { className: "genre-value", textContent: percentOf(probability) });
    item.append(name, bar, value);
    return item;
  }));
}

const isGenreList = (list) => Array.isArray(list) && list.length > 0
  && list.every((g) => g && typeof g.genre === "string" && isProbability(g.probability));
const isBand = (band) => Array.isArray(band) && band.length === 2 && band.every(isProbability) && band[0] <= band[1];

function showAnswer(result) {
  const { tone, heading } = VERDICTS[result.verdict];
  const calibrated = isProbability(result.base_rate) && isBand(result.hard_to_tell_band);
  const isPoster = result.verdict !== "not a poster";
  verdict.textContent = heading;
  answer.dataset.tone = tone;
  let spoken = heading;
  if (isPoster && calibrated) {
    chanceText.replaceChildren(
      Object.assign(document.createElement("strong"), { textContent: percentOf(result.probability) }),
      ` chance this is a thriller/crime film; for comparison, ${baseRateInWords(result.base_rate)}.`);
    showScale(result, tone);
    spoken += ` ${chanceText.textContent}`;
  } else if (isPoster) { // an endpoint that gives a score, not a calibrated chance
    chanceText.textContent = `The model's score is ${outOf100(result.probability)} out of 100; `
      + "this service does not say how likely that makes a thriller, so take it as a leaning.";
  }
  chance.hidden = !isPoster;
  scale.hidden = !(isPoster && calibrated);
  genres.hidden = !(isPoster && isGenreList(result.genres));
  if (!genres.hidden) showGenres(result.genres);
  showEvidence(isPoster ? result.evidence : null);
  // The status line is the one live region: the answer unhidden now is not read out a second time.
  statusLine.textContent = spoken;
  answer.hidden = false;
  answer.scrollIntoView({ block: "nearest" }); // on a phone the answer starts below the fold
}

// ---- where the model looked ----

function isEvidence(grid) {
  return grid && Number.isInteger(grid.rows) && Number.isInteger(grid.columns) && grid.rows > 0
    && grid.columns > 0 && Array.isArray(grid.values) && grid.values.length === grid.rows
    && grid.values.every((row) => Array.isArray(row) && row.length === grid.columns && row.every(Number.isFinite));
}

/** The third (of rows, or of columns) holding most of the pushes of one sign, if one holds at least half. */
function dominantThird(grid, sign, byRow) {
  const shares = [0, 0, 0];
  let total = 0;
  grid.values.forEach((row, r) => row.forEach((value, c) => {
    const push = Math.max(0, sign * value);
    shares[Math.floor(((byRow ? r : c) * 3) / (byRow ? grid.rows : grid.columns))] += push;
    total += push;
  }));
  const largest = shares.indexOf(Math.max(...shares));
  return total > 0 && shares[largest] >= total / 2 ? largest : null;
}

/** Where the pushes of one sign sit, in words: "in the top third", "in the bottom left", "spread across". */
function whereInWords(grid, sign) {
  if (!grid.values.flat().some((value) => sign * value > 0)) return null;
  const row = dominantThird(grid, sign, true);
  const column = dominantThird(grid, sign, false);
  if (row !== null && column !== null) {
    const place = row === 1 && column === 1 ? "centre"
      : `${["top", "middle", "bottom"][row]} ${["left", "centre", "right"][column]}`;
    return `mostly in the ${place}`;
  }
  if (row !== null) return `mostly in the ${["top", "middle", "bottom"][row]} third`;
  if (column !== null) return `mostly in the ${["left", "central", "right"][column]} third`;
  return "spread across the poster";
}

function drawEvidence(grid) {
  const largest = Math.max(...grid.values.flat().map(Math.abs)) || 1;
  evidenceMap.width = grid.columns;
  evidenceMap.height = grid.rows;
  const context = evidenceMap.getContext("2d");
  const pixels = context.createImageData(grid.columns, grid.rows);
  grid.values.flat().forEach((value, index) => {
    const warm = value > 0; // the colours of styles.css --towards and --away
    pixels.data.set([warm ? 255 : 30, warm ? 90 : 120, warm ? 20 : 255,
      Math.round((Math.abs(value) / largest) * 190)], index * 4);
  });
  context.putImageData(pixels, 0, 0);
}

function showEvidence(grid) {
  const usable = isEvidence(grid);
  evidence.hidden = !usable;
  setEvidenceShown(false);
  if (!usable) return;
  drawEvidence(grid);
  const towards = whereInWords(grid, 1);
  const away = whereInWords(grid, -1);
  evidenceDescription.textContent = [
    towards ? `What pushed towards thriller/crime is ${towards}.`
      : "Nothing in the poster pushed towards thriller/crime.",
    away ? `What pushed away from it is ${away}.` : "",
  ].join(" ").trim();
}

function setEvidenceShown(shown) {
  evidenceToggle.setAttribute("aria-pressed", String(shown));
  evidenceMap.hidden = !shown;
  evidenceLegend.hidden = !shown;
}

// ---- input: picker, drop, paste, examples ----

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

input.addEventListener("change", () => {
  const file = input.files[0];
  input.value = ""; // so choosing the same file again still counts as a choice
  if (file) choosePoster(file);
});

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

form.addEventListener("submit", ask);
cancelButton.addEventListener("click", cancel);
retryButton.addEventListener("click", () => {
  if (poster) send(poster);
});
evidenceToggle.addEventListener("click", () => {
  setEvidenceShown(evidenceToggle.getAttribute("aria-pressed") !== "true");
});
acceptDrags();

if (!apiUrl) showError(NOT_CONFIGURED);
