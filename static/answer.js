// The answer card: words with the certainty of the number, the chance on its scale, the genres, and the text
// "Copy the answer" copies. Holds no state: app.js passes the elements and the API's answer.

const SHOWN_GENRES = 3;

// The API's `certainty` steps (chalicelib/answers.py HEADLINES, docs/api.md's table): never "This is..." and
// nothing about the visitor's taste.
const HEADLINES = {
  "very likely": "Very likely a thriller/crime film",
  "likely": "Likely a thriller/crime film",
  "leans": "Leans towards thriller/crime",
  "hard to tell": "Hard to tell from this poster",
  "unlikely": "Unlikely to be a thriller/crime film",
  "very unlikely": "Very unlikely to be a thriller/crime film",
  "not a poster": "This does not look like a movie poster",
};
// An endpoint that gives a score, not a calibrated chance: only which way it leans.
const SCORE_HEADLINES = {
  "thriller/crime": "Leans towards thriller/crime",
  "not thriller": "Leans away from thriller/crime",
};
const VERDICT_TONES = {
  "thriller/crime": "thriller", "hard to tell": "hard-to-tell", "not thriller": "not-thriller",
  "not a poster": "not-a-poster",
};
// poster_model's NOT_A_POSTER_REASONS, in words (chalicelib/answers.py says the same in the API's message).
const REASON_WORDS = {
  photograph: "it looks like a photograph",
  mostly_flat: "most of it is flat, like a screenshot or a chart",
  odd_shape: "its shape is unlike a poster's",
  blank: "it is almost blank",
  unlike_posters: "it looks unlike the posters the model learned from",
};
const UNKNOWN_REASON_WORDS = "it is unlike the posters the model learned from";

const outOf100 = (probability) => Math.round(probability * 100);
const percentOf = (probability) => `${outOf100(probability)}%`;

function isProbability(value) {
  return Number.isFinite(value) && value >= 0 && value <= 1;
}

const isGenreList = (list) => Array.isArray(list) && list.length > 0
  && list.every((g) => g && typeof g.genre === "string" && isProbability(g.probability));
const isBand = (band) => Array.isArray(band) && band.length === 2 && band.every(isProbability) && band[0] <= band[1];
const isCalibrated = (result) => isProbability(result.base_rate) && isBand(result.hard_to_tell_band)
  && Object.hasOwn(HEADLINES, result.certainty);

/** What the answer says as one would read it: the poster's verdict, or, asked anyway, its answer as a poster. */
function spokenParts(result, anyway) {
  const asPoster = anyway && result.if_a_poster && Object.hasOwn(HEADLINES, result.if_a_poster.certainty)
    ? result.if_a_poster : null;
  const verdict = asPoster ? asPoster.verdict : result.verdict;
  const certainty = asPoster ? asPoster.certainty : result.certainty;
  const calibrated = isCalibrated(result);
  const headline = calibrated ? HEADLINES[certainty]
    : SCORE_HEADLINES[verdict] || HEADLINES[verdict] || HEADLINES["hard to tell"];
  return { verdict, headline, calibrated, isPoster: verdict !== "not a poster" };
}

function baseRateInWords(baseRate) {
  const oneIn = Math.round(1 / baseRate);
  return oneIn >= 2 ? `about 1 film in ${oneIn} is one` : `${percentOf(baseRate)} of films are`;
}

function reasonInWords(reason) {
  return typeof reason === "string" ? REASON_WORDS[reason] || UNKNOWN_REASON_WORDS : null;
}

function place(element, from, to) {
  element.style.setProperty("--from", String(from));
  element.style.setProperty("--to", String(to));
}

function showScale(parts, result, tone) {
  const [low, high] = result.hard_to_tell_band;
  const zones = { below: [0, low], band: [low, high], above: [high, 1] };
  for (const [zone, [from, to]] of Object.entries(zones)) place(parts[`scale-${zone}`], from, to);
  parts["scale-key-below"].textContent = `under ${percentOf(low)}: unlikely`;
  parts["scale-key-band"].textContent = `${percentOf(low)} to ${percentOf(high)}: hard to tell`;
  parts["scale-key-above"].textContent = `${percentOf(high)} or more: leans towards thriller/crime; likely above 50%`;
  parts["scale-base-rate"].style.setProperty("--at", String(result.base_rate));
  parts["scale-marker"].style.setProperty("--at", String(result.probability));
  parts.scale.dataset.tone = tone;
  parts["explainer-text"].textContent = `The dot is this poster's chance; the thin line is how common `
    + `thriller/crime films are (${baseRateInWords(result.base_rate)}), so a chance above the line is more than `
    + `usual, not “likely”. Between ${percentOf(low)} and ${percentOf(high)} the poster does not say enough `
    + `either way: that is the “hard to tell” band.`;
}

function showGenres(genreList, list) {
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

/** Renders the API's answer into the card; anyway: the image is not a poster and was asked about anyway.
 *  Returns the sentence the status line announces. parts: the card's elements by id. */
export function renderAnswer(parts, result, { anyway = false } = {}) {
  const { verdict, headline, calibrated, isPoster } = spokenParts(result, anyway);
  const tone = VERDICT_TONES[verdict];
  const reason = reasonInWords(result.not_a_poster_reason);
  parts.verdict.textContent = headline;
  parts.answer.dataset.tone = tone;
  const canAskAnyway = Boolean(result.if_a_poster) && !anyway;
  parts["not-a-poster"].hidden = isPoster;
  parts["ask-anyway-button"].hidden = !canAskAnyway;
  parts["not-a-poster-reason"].textContent = `${reason ? `What makes it unlike a poster: ${reason}. ` : ""}`
    + `Try the poster of a movie${canAskAnyway ? ", or ask anyway" : ""}.`;
  parts["poster-warning"].hidden = !anyway;
  parts["poster-warning"].textContent = `Asked anyway: this does not look like a movie poster${
    reason ? ` (${reason})` : ""}, so the answer below is for an image unlike any the model learned from.`;
  let spoken = headline;
  if (isPoster && calibrated) {
    parts["chance-text"].replaceChildren(
      Object.assign(document.createElement("strong"), { textContent: percentOf(result.probability) }),
      ` chance this is a thriller/crime film; for comparison, ${baseRateInWords(result.base_rate)}.`);
    showScale(parts, result, tone);
    spoken += `. ${parts["chance-text"].textContent}`;
  } else if (isPoster) {
    parts["chance-text"].textContent = `The model's score is ${outOf100(result.probability)} out of 100; `
      + "this service does not say how likely that makes a thriller, so take it as a leaning.";
  } else {
    spoken += `. ${parts["not-a-poster-reason"].textContent}`;
  }
  parts.chance.hidden = !isPoster;
  parts.scale.hidden = !(isPoster && calibrated);
  parts["scale-key"].hidden = parts.scale.hidden;
  parts.explainer.hidden = parts.scale.hidden;
  parts.genres.hidden = !(isPoster && isGenreList(result.genres));
  if (!parts.genres.hidden) showGenres(parts["genre-list"], result.genres);
  return spoken;
}

/** The answer as text to paste elsewhere: the poster, the words, the chance, the top genres. */
export function answerAsText(result, posterName, { anyway = false } = {}) {
  const { headline, calibrated, isPoster } = spokenParts(result, anyway);
  const lines = [`${posterName}: ${headline}.`];
  if (anyway) lines.push("(Asked anyway: it does not look like a movie poster.)");
  if (isPoster && calibrated) {
    lines.push(`${percentOf(result.probability)} chance it is a thriller/crime film; `
      + `${baseRateInWords(result.base_rate)}.`);
  } else if (isPoster) {
    lines.push(`The model's score: ${outOf100(result.probability)} out of 100 (not a calibrated chance).`);
  } else if (reasonInWords(result.not_a_poster_reason)) {
    lines.push(`What makes it unlike a poster: ${reasonInWords(result.not_a_poster_reason)}.`);
  }
  if (isPoster && isGenreList(result.genres)) {
    lines.push(`Genres it looks like (each its own chance): ${result.genres.slice(0, SHOWN_GENRES)
      .map(({ genre, probability }) => `${genre} ${percentOf(probability)}`).join(", ")}.`);
  }
  return lines.join("\n");
}

/** A short line for the history strip. */
export function answerInBrief(result, { anyway = false } = {}) {
  const { headline, calibrated, isPoster } = spokenParts(result, anyway);
  return isPoster && calibrated ? `${headline} (${percentOf(result.probability)})` : headline;
}

export function isAnswer(body) {
  return Boolean(body) && typeof body === "object" && Object.hasOwn(VERDICT_TONES, body.verdict)
    && isProbability(body.probability);
}
