// The control panel (see control/panel.py): polls the journal and the rules, sends JSON changes.
// Everything shown is set with textContent: the journal holds what any client sent.
(function () {
  "use strict";

  var POLL_MS = 1000;
  var opened = {};  // journal entries whose details are open, by time + method + path
  var lastRequests = "";
  var lastRules = "";

  function byId(id) { return document.getElementById(id); }

  function element(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    if (className) { node.className = className; }
    return node;
  }

  function say(text, isError) {
    var status = byId("status");
    status.textContent = text;
    status.className = isError ? "error" : "ok";
  }

  // A control call: JSON in and out; rejects with the mock's `detail` when it refuses.
  function call(method, path, body) {
    var options = { method: method, cache: "no-store", headers: { "Accept": "application/json" } };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(path, options).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) { throw new Error((data && data.detail) || ("HTTP " + response.status)); }
        return data;
      });
    });
  }

  function failed(error) { say(error.message, true); }

  // -- scenario rules ------------------------------------------------------------------------

  function answerOf(respond) {
    var parts = [];
    Object.keys(respond).forEach(function (key) { parts.push(key + " " + respond[key]); });
    return parts.join(", ");
  }

  function narrowing(rule) {
    var parts = [];
    if (rule.organization) { parts.push("organization " + rule.organization); }
    if (rule.user) { parts.push("user " + rule.user); }
    if (rule.query) {
      Object.keys(rule.query).forEach(function (key) { parts.push(key + "=" + rule.query[key]); });
    }
    if (rule.probability !== undefined) { parts.push(Math.round(rule.probability * 100) + "% of requests"); }
    return parts.join(", ") || "every request";
  }

  function renderRules(data) {
    var text = JSON.stringify(data.rules);
    if (text === lastRules) { return; }
    lastRules = text;
    var body = byId("rules").tBodies[0];
    body.textContent = "";
    data.rules.forEach(function (rule) {
      var row = element("tr");
      row.id = "rule-" + rule.id;
      row.appendChild(element("td", rule.id));
      row.appendChild(element("td", rule.name || ""));
      row.appendChild(element("td", rule.operation));
      row.appendChild(element("td", narrowing(rule)));
      row.appendChild(element("td", answerOf(rule.respond), "answer"));
      row.appendChild(element("td", rule.remaining === null ? "\u221e" : rule.remaining));
      row.appendChild(element("td", rule.answered, "answered"));
      var cell = element("td");
      var remove = element("button", "Remove", "remove");
      remove.type = "button";
      remove.addEventListener("click", function () {
        call("DELETE", "/__mock/scenarios/" + encodeURIComponent(rule.id))
          .then(function (result) { say(result.detail); refresh(); }, failed);
      });
      cell.appendChild(remove);
      row.appendChild(cell);
      body.appendChild(row);
    });
    byId("no-rules").hidden = data.rules.length > 0;
  }

  function addRule(rule) {
    return call("POST", "/__mock/scenarios", rule).then(function (made) {
      say("Rule " + made.id + " added" + (made.name ? ": " + made.name : "") + ".");
      refresh();
    }, failed);
  }

  function renderRecipes(data) {
    var holder = byId("recipes");
    data.recipes.forEach(function (recipe) {
      var button = element("button", recipe.title);
      button.type = "button";
      button.id = "recipe-" + recipe.name;
      button.title = recipe.description;
      button.addEventListener("click", function () { addRule(recipe.rule); });
      holder.appendChild(button);
    });
  }

  // -- the journal ---------------------------------------------------------------------------

  function journalQuery() {
    var params = new URLSearchParams({ limit: "100" });
    var operation = byId("filter-operation").value;
    var status = byId("filter-status").value.trim();
    if (operation) { params.set("operation", operation); }
    if (/^([1-5][0-9][0-9]|[1-5]xx|none)$/i.test(status)) { params.set("status", status); }
    return "/__mock/requests?" + params.toString();
  }

  function details(entry) {
    var shown = { query: entry.params, headers: entry.headers };
    if (entry.body !== null) { shown.body = entry.body; shown.body_size = entry.body_size; }
    if (entry.fault) { shown.fault = entry.fault; }
    return JSON.stringify(shown, null, 2);
  }

  function renderRequests(data) {
    var text = JSON.stringify(data);
    if (text === lastRequests) { return; }
    lastRequests = text;
    byId("journal-count").textContent = "(" + data.count + ")";
    var body = byId("requests").tBodies[0];
    body.textContent = "";
    data.requests.forEach(function (entry) {
      var key = entry.time + " " + entry.method + " " + entry.path + "?" + entry.query;
      var row = element("tr", null, "request");
      var status = entry.status === null ? (entry.fault || "none") : entry.status;
      row.dataset.status = String(status);
      row.dataset.rule = entry.rule || "";
      row.appendChild(element("td", entry.time.slice(11, 23)));
      row.appendChild(element("td", entry.method));
      row.appendChild(element("td", entry.path + (entry.query ? "?" + entry.query : ""), "path"));
      row.appendChild(element("td", status, entry.status === null ? "sfault" : "s" + String(status)[0]));
      row.appendChild(element("td", entry.user || ""));
      row.appendChild(element("td", entry.operation || ""));
      row.appendChild(element("td", entry.rule || ""));
      row.appendChild(element("td", Math.round(entry.duration_ms)));
      var more = element("tr", null, "details");
      var cell = element("td");
      cell.colSpan = 8;
      cell.appendChild(element("pre", details(entry)));
      more.appendChild(cell);
      more.hidden = !opened[key];
      row.addEventListener("click", function () {
        opened[key] = !opened[key];
        more.hidden = !opened[key];
      });
      body.appendChild(row);
      body.appendChild(more);
    });
  }

  function refresh() {
    return Promise.all([
      call("GET", "/__mock/scenarios").then(renderRules),
      call("GET", journalQuery()).then(renderRequests)
    ]).catch(failed);
  }

  function loadOperations() {
    return fetch("/openapi.json", { cache: "no-store" }).then(function (response) { return response.json(); })
      .then(function (spec) {
        var select = byId("filter-operation");
        Object.keys(spec.paths || {}).forEach(function (path) {
          Object.keys(spec.paths[path]).forEach(function (method) {
            var operation = spec.paths[path][method];
            if (operation && operation.operationId) {
              var option = element("option", operation.operationId);
              option.value = operation.operationId;
              select.appendChild(option);
            }
          });
        });
      });
  }

  function start() {
    byId("reset").addEventListener("click", function () {
      call("POST", "/__mock/reset", {}).then(function (result) { say(result.detail); refresh(); }, failed);
    });
    byId("remove-all").addEventListener("click", function () {
      call("DELETE", "/__mock/scenarios").then(function (result) { say(result.detail); refresh(); }, failed);
    });
    byId("clear-journal").addEventListener("click", function () {
      call("DELETE", "/__mock/requests").then(function (result) { say(result.detail); refresh(); }, failed);
    });
    byId("add-rule").addEventListener("click", function () {
      var rule;
      try {
        rule = JSON.parse(byId("rule-json").value);
      } catch (error) {
        say("The rule is not JSON: " + error.message, true);
        return;
      }
      addRule(rule);
    });
    ["filter-operation", "filter-status"].forEach(function (id) {
      byId(id).addEventListener("change", function () { lastRequests = ""; refresh(); });
    });
    call("GET", "/__mock/recipes").then(renderRecipes, failed);
    loadOperations().catch(failed);
    refresh();
    window.setInterval(function () {
      if (byId("live").checked) { refresh(); }
    }, POLL_MS);
  }

  start();
})();
