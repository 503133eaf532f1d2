// "Was this right?" under every answer: Yes / No / Not sure in one tap, and an unticked box to share the poster.
// Sent to POST /feedback with the answer's prediction_id after the answer is on screen, so it never delays it.
// app.js calls offerFeedback each time it shows an answer; what each prediction got is remembered for the visit,
// so an answer shown again from the history says "Thank you" instead of asking twice.

const QUESTION = "Is this movie a thriller or crime film?";
const SHARE_LABEL = "Share this poster image to help improve the model";
// docs/operations.md, "Learning from visitors": FEEDBACK_RETENTION_DAYS is 180.
const PRIVACY_LINE = "We keep your answer and what the model said for 180 days, never who you are; "
  + "the poster image only if you tick the box.";
const ANSWERS = [["yes", "Yes"], ["no", "No"], ["not sure", "Not sure"]];
const THANKS = "Thank you: your answer was kept.";
const THANKS_SHARED = "Thank you: your answer and the poster were kept.";
const STATUS_WORDS = {
  409: "This answer was given already. Thank you.",
  410: "This answer is more than a day old: ask again to rate it.",
  413: "This poster is too large to share: your answer was not sent. Untick the box and try again.",
};
const CANNOT_SEND = "Your answer could not be sent. Try again in a moment.";
const given = new Map(); // prediction_id -> the words shown once it was answered

let nextFormId = 0;

/** Build the question into container (an empty element of the answer card), or hide it when the answer carries
 *  no prediction_id (the service keeps no feedback right now). image: the data URL /predict was sent. */
export function offerFeedback(container, { apiUrl, result, image, announce }) {
  container.replaceChildren();
  const predictionId = typeof result?.prediction_id === "string" ? result.prediction_id : null;
  container.hidden = !apiUrl || !predictionId;
  if (container.hidden) return;
  const id = `feedback-${nextFormId++}`;
  const form = element("form", { className: "feedback-form", noValidate: true });
  form.setAttribute("aria-labelledby", `${id}-question`);
  const fieldset = element("fieldset", { className: "feedback-fieldset" });
  const legend = element("legend", { id: `${id}-question`, className: "feedback-question", textContent: QUESTION });
  const choices = element("div", { className: "feedback-choices" });
  const buttons = ANSWERS.map(([answer, words]) => {
    const button = element("button", { type: "button", className: "secondary-button feedback-choice",
      textContent: words });
    button.dataset.answer = answer;
    choices.append(button);
    return button;
  });
  const share = element("input", { type: "checkbox", id: `${id}-share`, className: "feedback-share-box" });
  const shareLabel = element("label", { className: "feedback-share" });
  shareLabel.htmlFor = share.id;
  shareLabel.append(share, document.createTextNode(` ${SHARE_LABEL}`));
  const privacy = element("p", { id: `${id}-privacy`, className: "feedback-privacy", textContent: PRIVACY_LINE });
  fieldset.setAttribute("aria-describedby", privacy.id);
  const outcome = element("p", { className: "feedback-outcome", tabIndex: -1 });
  outcome.hidden = true;
  fieldset.append(legend, choices, shareLabel);
  form.append(fieldset, privacy, outcome);
  container.append(form);

  // After a tap, the thank-you takes the focus of the buttons it replaces (a screen reader reads it there); an
  // error leaves them in place and is announced.
  const showOutcome = (words, { done, tapped }) => {
    outcome.textContent = words;
    outcome.hidden = false;
    fieldset.hidden = done;
    privacy.hidden = done;
    if (done && tapped) outcome.focus({ preventScroll: true });
    else if (tapped) announce?.(words);
  };
  if (given.has(predictionId)) {
    showOutcome(given.get(predictionId), { done: true, tapped: false });
    return;
  }
  const send = async (answer) => {
    buttons.forEach((button) => { button.disabled = true; });
    const shared = share.checked && typeof image === "string";
    const body = { prediction_id: predictionId, answer, share_image: shared };
    if (shared) body.image = image;
    const words = await sent(apiUrl, body, shared);
    buttons.forEach((button) => { button.disabled = false; });
    const done = words === THANKS || words === THANKS_SHARED || words === STATUS_WORDS[409];
    if (done) given.set(predictionId, words);
    showOutcome(words, { done, tapped: true });
  };
  choices.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-answer]");
    if (button && !button.disabled) send(button.dataset.answer);
  });
}

/** The words to show for what POST /feedback answered. */
async function sent(apiUrl, body, shared) {
  try {
    const response = await fetch(`${apiUrl}/feedback`, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
    if (response.ok) return shared ? THANKS_SHARED : THANKS;
    return STATUS_WORDS[response.status] || CANNOT_SEND;
  } catch (error) {
    console.warn("feedback", error);
    return CANNOT_SEND;
  }
}

function element(tag, properties) {
  return Object.assign(document.createElement(tag), properties);
}
