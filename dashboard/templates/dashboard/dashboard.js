"use strict";
(function () {
  // The token lives in this tab's session storage only; it goes in the
  // Authorization header of the fragment requests, never in a URL.
  var TOKEN_KEY = "a8registry.dashboard.token";
  var config = JSON.parse(document.getElementById("dashboard-config").textContent);
  var base = window.location.pathname.replace(/\/?$/, "/");
  var state = { service: serviceFromHash(), etags: {}, offsetMs: 0, authFailed: false };

  function $(id) { return document.getElementById(id); }
  function token() { try { return window.sessionStorage.getItem(TOKEN_KEY) || ""; } catch (e) { return ""; } }
  function say(text) { $("status").textContent = text; }
  function serviceFromHash() {
    var match = /^#service=(.*)$/.exec(window.location.hash);
    return match ? decodeURIComponent(match[1]) : null;
  }
  function filters() {
    return { q: $("filter-q").value, tag: $("filter-tag").value, status: $("filter-status").value };
  }
  function query(params) {
    var parts = [];
    Object.keys(params).forEach(function (key) {
      if (params[key]) { parts.push(encodeURIComponent(key) + "=" + encodeURIComponent(params[key])); }
    });
    return parts.length ? "?" + parts.join("&") : "";
  }

  // Ask for a fragment with If-None-Match: a 304 leaves the page as it is.
  function refresh(targetId, url, withToken) {
    var headers = { "Accept": "text/html" };
    if (withToken && token()) { headers["Authorization"] = "Bearer " + token(); }
    if (state.etags[url]) { headers["If-None-Match"] = state.etags[url]; }
    return fetch(url, { headers: headers, cache: "no-store", credentials: "omit" })
      .then(function (response) {
        var date = response.headers.get("Date");
        if (date) { state.offsetMs = Date.parse(date) - Date.now(); }
        if (response.status === 304) { return; }
        return response.text().then(function (html) {
          if (response.ok) {
            state.etags[url] = response.headers.get("ETag");
          } else {
            delete state.etags[url];
          }
          if (withToken) { noteAuth(response.status); }
          replace($(targetId), html);
        });
      })
      .catch(function () { say("The registry does not answer; retrying."); });
  }

  function noteAuth(status) {
    if (status === 401) {
      if (!state.authFailed) { say("This token does not grant a namespace."); }
      state.authFailed = true;
    } else if (state.authFailed || $("status").textContent) {
      state.authFailed = false;
      say("");
    }
  }

  // Swap a region's content, keeping keyboard focus on the same control.
  function replace(target, html) {
    var focused = document.activeElement;
    var key = focused && target.contains(focused) ? focused.getAttribute("data-key") : null;
    target.innerHTML = html;
    if (key) {
      var again = target.querySelector('[data-key="' + CSS.escape(key) + '"]');
      if (again) { again.focus(); }
    }
    markCurrent();
    countdown();
  }

  function markCurrent() {
    Array.prototype.forEach.call(document.querySelectorAll("button[data-service]"), function (button) {
      button.setAttribute("aria-current", String(button.getAttribute("data-service") === state.service));
    });
  }

  function countdown() {
    var now = Date.now() + state.offsetMs;
    Array.prototype.forEach.call(document.querySelectorAll("[data-expires-ms]"), function (cell) {
      var left = Math.round((Number(cell.getAttribute("data-expires-ms")) - now) / 1000);
      cell.textContent = left > 0 ? left + " s" : "due";
    });
  }

  function refreshLists() {
    var f = filters();
    var jobs = [refresh("services", base + "fragments/services" + query(f), true)];
    if (state.service !== null) {
      $("instances-panel").hidden = false;
      $("instances-service").textContent = state.service;
      var params = { service: state.service, tag: f.tag, status: f.status };
      jobs.push(refresh("instances", base + "fragments/instances" + query(params), true));
    }
    return Promise.all(jobs);
  }
  function refreshHealth() { return refresh("health", base + "fragments/health", false); }

  function showService(name, focusHeading) {
    state.service = name;
    window.history.replaceState(null, "", "#service=" + encodeURIComponent(name));
    markCurrent();
    refreshLists().then(function () { if (focusHeading) { $("instances-heading").focus(); } });
  }

  $("services").addEventListener("click", function (event) {
    var button = event.target.closest("button[data-service]");
    if (button) { showService(button.getAttribute("data-service"), true); }
  });
  $("token-form").addEventListener("submit", function (event) {
    event.preventDefault();
    try { window.sessionStorage.setItem(TOKEN_KEY, $("token").value); } catch (e) { /* private mode */ }
    $("token").value = "";
    state.etags = {};
    say("Token in use for this tab.");
    refreshLists();
  });
  $("forget-token").addEventListener("click", function () {
    try { window.sessionStorage.removeItem(TOKEN_KEY); } catch (e) { /* nothing kept */ }
    state.etags = {};
    say("Token forgotten.");
    refreshLists();
  });
  var typing = null;
  $("filters").addEventListener("input", function () {
    window.clearTimeout(typing);
    typing = window.setTimeout(refreshLists, 250);
  });
  $("filters").addEventListener("submit", function (event) { event.preventDefault(); refreshLists(); });

  refreshHealth();
  refreshLists();
  window.setInterval(function () { if (!document.hidden) { refreshLists(); } }, config.listRefreshMs);
  window.setInterval(function () { if (!document.hidden) { refreshHealth(); } }, config.healthRefreshMs);
  window.setInterval(countdown, 1000);
})();
