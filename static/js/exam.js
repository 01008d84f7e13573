// examsite exam page: autosave with retries, a countdown that follows the server's clock,
// time warnings for screen readers, and integrity events. Without this script every page
// still works as a plain form post.
(function () {
  "use strict";

  var bar = document.getElementById("exam-bar");
  if (!bar) return;
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
    var flagged = form.querySelector('input[name="flagged"]').checked;
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
    form.addEventListener("change", function (event) {
      if (event.target.name === "choice" || event.target.name === "flagged") queueSave();
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
      var next = form.querySelector('button[name="go"][value="next"]:not(.default-action)') ||
        form.querySelector('button[name="go"][value="review"]');
      if (typeof form.requestSubmit === "function") form.requestSubmit(next); else next.click();
    });
    window.addEventListener("beforeunload", function (event) {
      if (pending || inFlight) { event.preventDefault(); event.returnValue = ""; }
    });
    window.addEventListener("online", function () { if (pending && !inFlight) send(); });
  }

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
