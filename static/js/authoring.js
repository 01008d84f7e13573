// The instructors' workspace: live preview and item-writing lint while an author types, and a
// live check that a role's active pool can fill the blueprint being edited. No inline scripts
// (the pages' CSP forbids them); the server renders the preview with delivery's own code.
(function () {
  "use strict";

  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    };
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body),
    }).then(function (response) {
      return response.json();
    });
  }

  function listItems(list, problems, emptyText) {
    list.textContent = "";
    problems.forEach(function (p) {
      var li = document.createElement("li");
      li.className = "lint-" + p.severity;
      li.textContent = p.message;
      list.appendChild(li);
    });
    if (!problems.length && emptyText) {
      var li = document.createElement("li");
      li.textContent = emptyText;
      list.appendChild(li);
    }
  }

  function itemFromForm(form) {
    var data = new FormData(form);
    var options = [];
    "abcdef".split("").forEach(function (letter) {
      var text = (data.get("option_" + letter) || "").trim();
      if (text) options.push({ id: letter, text: text });
    });
    return {
      external_id: form.dataset.externalId || "",
      category: data.get("category"),
      domain: data.get("domain"),
      type: data.get("type"),
      level: data.get("level"),
      stem: data.get("stem") || "",
      options: options,
      key: data.getAll("key"),
      rationale: data.get("rationale") || "",
      tags: (data.get("tags") || "").split(",").map(function (t) { return t.trim(); }).filter(Boolean),
    };
  }

  var editor = document.getElementById("item-editor");
  if (editor) {
    var preview = document.getElementById("preview");
    var all = document.getElementById("lint-all");
    var check = debounce(function () {
      post(editor.dataset.checkUrl, itemFromForm(editor)).then(function (result) {
        if (typeof result.preview_html === "string") preview.innerHTML = result.preview_html; // sanitized by the server
        var problems = result.problems || [];
        listItems(all, problems, "No problems found.");
        editor.querySelectorAll("ul.lint").forEach(function (list) {
          var field = list.id.replace("lint-", "");
          listItems(list, problems.filter(function (p) { return p.field === field; }), "");
        });
      });
    }, 350);
    editor.addEventListener("input", check);
    editor.addEventListener("change", check);

    var upload = document.getElementById("image-upload");
    var uploadStatus = document.getElementById("image-status");
    upload.addEventListener("change", function () {
      if (!upload.files.length) return;
      var body = new FormData();
      body.append("image", upload.files[0]);
      uploadStatus.textContent = "Uploading…";
      fetch(upload.dataset.uploadUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrf },
        body: body,
      })
        .then(function (response) { return response.json(); })
        .then(function (result) {
          if (result.error) {
            uploadStatus.textContent = result.message;
            return;
          }
          var stem = document.getElementById("stem");
          stem.value = stem.value.replace(/\s*$/, "") + "\n\n" + result.markdown + "\n";
          uploadStatus.textContent = "Image added to the stem; replace 'Describe the image' with a description.";
          upload.value = "";
          check();
        });
    });
  }

  var scenario = document.getElementById("scenario-editor");
  if (scenario) {
    var casePreview = document.getElementById("case-preview");
    var previewCase = debounce(function () {
      var title = document.getElementById("title").value;
      var text = document.getElementById("case").value;
      post(scenario.dataset.previewUrl, { title: title, case: text }).then(function (result) {
        if (typeof result.preview_html === "string") casePreview.innerHTML = result.preview_html; // sanitized by the server
      });
    }, 350);
    scenario.addEventListener("input", previewCase);
  }

  var blueprint = document.getElementById("blueprint-form");
  if (blueprint) {
    var status = document.getElementById("blueprint-status");
    var total = document.getElementById("form-total");
    var recheck = debounce(function () {
      var domains = [];
      blueprint.querySelectorAll("tr[data-domain]").forEach(function (row) {
        var input = row.querySelector("input");
        domains.push({ code: row.dataset.domain, items: parseInt(input.value || "0", 10) });
      });
      var pretest = parseInt(document.getElementById("pretest_items").value || "0", 10);
      post(blueprint.dataset.checkUrl, { domains: domains, pretest_items: pretest }).then(function (result) {
        if (result.error) {
          status.textContent = result.message;
          return;
        }
        total.textContent = result.form_items;
        var short = 0;
        result.feasibility.forEach(function (row) {
          var tr = blueprint.querySelector('tr[data-domain="' + row.domain + '"]');
          tr.querySelector(".available").textContent = row.available;
          tr.querySelector(".fillable").textContent = row.fillable ? "yes" : "no: too few items";
          if (!row.fillable) short += 1;
        });
        status.textContent = short
          ? short + " domain(s) cannot be filled from the active pool."
          : "The active pool can fill this blueprint (" + result.form_items + " items).";
      });
    }, 300);
    blueprint.addEventListener("input", recheck);
  }
})();
