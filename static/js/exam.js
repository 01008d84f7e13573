// examsite exam page: autosave with retries, a countdown that follows the server's clock,
// time warnings for screen readers, integrity events, and the exam-taking aids (strike-out,
// text size and contrast, the count of choices, the confirmation before submitting). Without
// this script every page still works as a plain form post.
(function () {
  "use strict";

  var bar = document.getElementById("exam-bar");
  if (!bar) return;
  var root = document.documentElement;
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var stateEl = document.getElementById("save-state");
  var timerEl = document.getElementById("timer");
  var warningEl = document.getElementById("time-warning");
  var form = document.getElementById("answer-form");

  // ---- clock: remaining = deadline - (browser now + offset to the server) ----
  var deadline = Date.parse(bar.dataset.deadline);
  var offset = Date.parse(bar.dataset.serverTime) - Date.now();
  var warned = {};
  var submitted = false;
  var leaving = false;   // set when this page navigates away: not a tab switch

  function serverNow() { return Date.now() + offset; }

  function resync() {
    var started = Date.now();
    fetch(bar.dataset.timeUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        var latency = (Date.now() - started) / 2;
        offset = Date.parse(data.server_time) + latency - Date.now();
        deadline = Date.parse(data.deadline);
        if (data.status !== "in_progress") closed(data.status);
      })
      .catch(function () { /* keep the last offset; the server enforces the deadline anyway */ });
  }

  function format(ms) {
    var total = Math.max(0, Math.floor(ms / 1000));
    var h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
    return (h ? h + ":" + String(m).padStart(2, "0") : String(m)) + ":" + String(s).padStart(2, "0");
  }

  function announce(text) {
    warningEl.textContent = "";
    window.setTimeout(function () { warningEl.textContent = text; }, 50);
  }

  function tick() {
    var left = deadline - serverNow();
    timerEl.textContent = format(left);
    timerEl.classList.toggle("low", left <= 5 * 60 * 1000);
    [30, 10, 5, 1].forEach(function (min) {
      if (!warned[min] && left <= min * 60 * 1000 && left > (min * 60 - 30) * 1000) {
        warned[min] = true;
        announce(min === 1 ? "One minute left." : min + " minutes left.");
      } else if (left <= (min * 60 - 30) * 1000) {
        warned[min] = true; // passed while asleep: do not announce stale warnings
      }
    });
    if (left <= 0) timeUp();
  }

  function timeUp() {
    if (submitted) return;
    submitted = true;
    announce("Time is up. Your saved answers are being submitted.");
    flush().then(submitNow, submitNow);
  }

  // The attempt was closed on the server (submitted from another window or device, or past its
  // time): every waiting action ends, and the item page, reloaded, sends the trainee to the result
  // with the true reason.
  function closed(status) {
    if (submitted) return;
    submitted = true;
    pending = null;
    var text = status === "submitted"
      ? "This exam was submitted from another window or device."
      : "Time is up. Your saved answers have been scored.";
    setState("error", text);
    announce(text);
    waiters.splice(0).forEach(function (w) { w.reject(new Error("closed")); });
    leave(window.location.href);
  }

  function leave(url) {
    leaving = true;
    window.location.assign(url);
  }

  function submitNow() {
    var f = document.createElement("form");
    f.method = "post";
    f.action = bar.dataset.submitUrl;
    var input = document.createElement("input");
    input.type = "hidden"; input.name = "csrf_token"; input.value = csrf;
    f.appendChild(input);
    document.body.appendChild(f);
    leaving = true;
    f.submit();
  }

  // ---- autosave: one pending value per item, retried with backoff until the server has it ----
  var pending = null;      // {url, body}
  var inFlight = null;     // Promise
  var retryDelay = 1000;
  var waiters = [];

  function setState(kind, text) {
    stateEl.className = "save-state " + kind;
    stateEl.textContent = text;
  }

  function currentAnswer() {
    var choices = Array.prototype.map.call(
      form.querySelectorAll('input[name="choice"]:checked'), function (el) { return el.value; });
    var flag = form.elements.namedItem("flagged");  // in the exam bar, tied to the form by form=
    var flagged = flag ? flag.checked : false;
    return { choices: choices, flagged: flagged };
  }

  function queueSave() {
    pending = { url: form.dataset.saveUrl, body: JSON.stringify(currentAnswer()) };
    setState("saving", "Saving…");
    updateNavigator();
    if (!inFlight) send();
  }

  function send() {
    if (!pending) {
      inFlight = null;
      waiters.splice(0).forEach(function (w) { w.resolve(); });
      return;
    }
    var job = pending;
    pending = null;
    inFlight = fetch(job.url, {
      method: "PUT",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" },
      body: job.body
    }).then(function (r) {
      if (r.ok) {
        retryDelay = 1000;
        setState("saved", "All answers saved");
        send();
        return null;
      }
      if (r.status === 429 || r.status >= 500) throw new Error("HTTP " + r.status);
      return r.json().catch(function () { return {}; }).then(function (body) {
        if (r.status === 409 && body.error === "try_again") throw new Error("try again");
        if (r.status === 409) { closed(body.attempt_status); return; }
        refused(r.status, body);
      });
    }).catch(function () {
      if (submitted) return;
      if (!pending) pending = job; // a newer answer replaces the failed one
      setState("error", "Not saved: connection lost, retrying…");
      var delay = retryDelay;
      retryDelay = Math.min(retryDelay * 2, 15000);
      window.setTimeout(send, delay);
    });
  }

  // A save the server will never take (logged out, not allowed, an invalid answer): stop retrying,
  // say so, and let every waiting action go; navigation then stays on this page.
  function refused(status, body) {
    inFlight = null;
    var text = status === 401 ? "You are logged out. Log in again to go on; this answer was not saved."
      : status === 403 ? "This answer was refused: " + (body.message || "not allowed") + "."
      : "This answer was refused: " + (body.message || "please choose again") + " It was not saved.";
    setState("error", text);
    announce(text);
    waiters.splice(0).forEach(function (w) { w.reject(new Error("refused")); });
  }

  function flush() {
    if (!inFlight && !pending) return Promise.resolve();
    return new Promise(function (resolve, reject) { waiters.push({ resolve: resolve, reject: reject }); });
  }

  function updateNavigator() {
    var link = document.querySelector('.navigator a[data-position="' + form.dataset.position + '"]');
    if (!link) return;
    var answer = currentAnswer();
    link.classList.toggle("answered", answer.choices.length > 0);
    link.classList.toggle("flagged", answer.flagged);
    var hidden = link.querySelector(".visually-hidden");
    if (hidden) hidden.textContent = (answer.choices.length ? ", answered" : ", unanswered") + (answer.flagged ? ", flagged" : "");
  }

  if (form) {
    // the flag box sits in the exam bar (outside the form element), so listen on the document
    document.addEventListener("change", function (event) {
      if (event.target.form !== form) return;
      if (event.target.name === "choice" || event.target.name === "flagged") queueSave();
      if (event.target.name === "choice") updateCount();
    });
    // Navigation waits for the save; it never posts an answer the server might miss.
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var go = event.submitter ? event.submitter.value : "next";
      var pos = parseInt(form.dataset.position, 10), count = parseInt(form.dataset.count, 10);
      var base = window.location.pathname.replace(/\/items\/\d+$/, "");
      var target = go === "prev" ? base + "/items/" + Math.max(1, pos - 1)
        : go === "review" || (go === "next" && pos >= count) ? base + "/review"
        : base + "/items/" + (pos + 1);
      if (pending || inFlight) setState("saving", "Saving before moving on…");
      flush().then(function () { leave(target); }, function () { /* closed or refused: said so */ });
    });
    document.querySelectorAll(".navigator a").forEach(function (link) {
      link.addEventListener("click", function (event) {
        if (!pending && !inFlight) return;
        event.preventDefault();
        flush().then(function () { leave(link.href); }, function () { /* closed or refused: said so */ });
      });
    });
    // Enter on an option saves it and goes on, like "Save and next" (the browser would otherwise
    // press the form's first button, "Previous").
    form.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" || event.target.name !== "choice") return;
      event.preventDefault();
      var next = document.querySelector('button[form="answer-form"][name="go"][value="next"]') ||
        document.querySelector('button[form="answer-form"][name="go"][value="review"]');
      if (typeof form.requestSubmit === "function") form.requestSubmit(next); else next.click();
    });
    window.addEventListener("beforeunload", function (event) {
      if (pending || inFlight || strikeBusy) { event.preventDefault(); event.returnValue = ""; }
    });
    form.querySelectorAll("button.strike").forEach(function (button) {
      button.addEventListener("click", function (event) {
        event.preventDefault();
        toggleStrike(button);
      });
    });
    updateCount();
    window.addEventListener("online", function () { if (pending && !inFlight) send(); });
  }

  // ---- strike-out: a reading aid kept with the attempt, never an answer ----
  var strikeBusy = false, strikeAgain = false, strikeDelay = 1000;
  var aidStatus = document.getElementById("aid-status");

  function say(el, text) {
    if (!el) return;
    el.textContent = "";
    window.setTimeout(function () { el.textContent = text; }, 50);
  }

  function struckIds() {
    return Array.prototype.map.call(form.querySelectorAll('button.strike[aria-pressed="true"]'),
      function (b) { return b.value; });
  }

  function toggleStrike(button) {
    var on = button.getAttribute("aria-pressed") !== "true";
    button.setAttribute("aria-pressed", on ? "true" : "false");
    button.closest(".option").classList.toggle("struck", on);
    var text = document.getElementById("text-" + button.value).textContent.trim();
    say(aidStatus, (on ? "Struck out: " : "Restored: ") + text);
    sendStrikes();
  }

  function sendStrikes() {
    if (strikeBusy) { strikeAgain = true; return; }
    strikeBusy = true;
    strikeAgain = false;
    fetch(form.dataset.strikeUrl, {
      method: "PUT", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" },
      body: JSON.stringify({ struck: struckIds() })
    }).then(function (r) {
      strikeBusy = false;
      if (r.status === 429 || r.status >= 500) throw new Error("HTTP " + r.status);
      strikeDelay = 1000;
      if (r.status === 409) { resync(); return; }
      if (!r.ok) { say(aidStatus, "The struck-out options could not be kept."); return; }
      if (strikeAgain) sendStrikes();
    }).catch(function () {
      strikeBusy = false;
      if (submitted) return;
      var delay = strikeDelay;
      strikeDelay = Math.min(strikeDelay * 2, 15000);
      window.setTimeout(sendStrikes, delay);
    });
  }

  // ---- multiple response: "N chosen of M required", a warning (never a block) beyond M ----
  function updateCount() {
    var el = document.getElementById("choice-count");
    if (!el || !form) return;
    var need = parseInt(form.dataset.choose, 10);
    var chosen = form.querySelectorAll('input[name="choice"]:checked').length;
    var text = chosen + " chosen of " + need + " required";
    if (chosen > need) text += ". You have chosen more than " + need + ": only " + need + " are needed.";
    el.classList.toggle("over", chosen > need);
    if (el.textContent !== text) el.textContent = text;
  }

  // ---- text size and contrast: applied at once, kept on the account ----
  var prefs = document.getElementById("display-prefs");
  if (prefs) {
    var prefsStatus = document.getElementById("display-status");
    var savePrefs = function () {
      var size = prefs.elements.namedItem("text_size").value;
      var theme = prefs.elements.namedItem("theme").value;
      root.setAttribute("data-text-size", size);
      root.setAttribute("data-theme", theme);
      fetch(prefs.dataset.apiUrl, {
        method: "PUT", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" },
        body: JSON.stringify({ text_size: parseInt(size, 10), theme: theme })
      }).then(function (r) {
        say(prefsStatus, r.ok ? "Display saved: text " + size + "%, " +
          (theme === "high-contrast" ? "high contrast." : "standard contrast.")
          : "The display settings could not be saved.");
      }).catch(function () { say(prefsStatus, "The display settings could not be saved."); });
    };
    prefs.addEventListener("change", savePrefs);
    prefs.addEventListener("submit", function (event) { event.preventDefault(); savePrefs(); });
  }

  // ---- the review page: confirm before submitting with questions unanswered or flagged ----
  var submitForm = document.getElementById("submit-form");
  var dialog = document.getElementById("confirm-submit");
  if (submitForm && dialog && typeof dialog.showModal === "function") {
    submitForm.addEventListener("submit", function (event) {
      var left = parseInt(submitForm.dataset.unanswered, 10) + parseInt(submitForm.dataset.flagged, 10);
      if (!left) return;
      event.preventDefault();
      dialog.showModal();
    });
    dialog.querySelectorAll("[data-close]").forEach(function (el) {
      el.addEventListener("click", function (event) { event.preventDefault(); dialog.close(); });
    });
    dialog.querySelector("form").addEventListener("submit", function () { leaving = true; });
  }

  // ---- the sticky bar's height, so a focused control scrolls into view below it ----
  function barHeight() { root.style.setProperty("--bar-height", bar.offsetHeight + "px"); }
  barHeight();
  if (typeof ResizeObserver === "function") new ResizeObserver(barHeight).observe(bar);

  // ---- integrity events: recorded for review, never blocking ----
  // Only real departures count: this page's own navigation (Save and next, the navigator, the
  // review page) hides the page too, and "pagehide" comes first when the page is being left. At most one event of a
  // kind every few seconds; the server also throttles and refuses events for closed attempts.
  var lastReport = {};
  function report(kind) {
    if (leaving || submitted) return;
    var now = Date.now();
    if (lastReport[kind] && now - lastReport[kind] < 5000) return;
    lastReport[kind] = now;
    var body = JSON.stringify({ kind: kind });
    fetch(bar.dataset.eventsUrl, {
      method: "POST", credentials: "same-origin", keepalive: true,
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf }, body: body
    }).catch(function () {});
  }
  window.addEventListener("pagehide", function () { leaving = true; });
  window.addEventListener("pageshow", function (event) { if (event.persisted) leaving = false; });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") report("tab_hidden");
    else resync();
  });
  window.addEventListener("blur", function () { report("window_blur"); });
  document.addEventListener("copy", function () { report("copy"); });

  tick();
  window.setInterval(tick, 1000);
  window.setInterval(resync, 60000);
})();
