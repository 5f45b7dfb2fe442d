// Aftercare's rating page script. Opening a rating link records nothing,
// because mail security scanners open every link of an email. This script
// posts the confirmation as soon as a person sees the page, so that one
// click in the email stays one click; without JavaScript, the page's
// button posts the very same form.
(function () {
  "use strict";

  var form = document.getElementById("answer");
  if (!form || form.getAttribute("data-confirm") !== "auto") {
    return;
  }

  // show reveals the elements of one state of the page (their data-when
  // lists the states they belong to: pending, saving, saved) and hides
  // the others.
  function show(state) {
    var els = document.querySelectorAll("[data-when]");
    for (var i = 0; i < els.length; i++) {
      els[i].hidden = els[i].getAttribute("data-when").split(" ").indexOf(state) < 0;
    }
  }

  function confirmScore() {
    show("saving");
    var body = new URLSearchParams();
    body.set("confirm", "1");
    fetch(form.action, {
      method: "POST",
      body: body,
      headers: { "Accept": "application/json" },
      credentials: "same-origin",
      cache: "no-store",
      redirect: "error"
    }).then(function (res) {
      if (!res.ok) {
        throw new Error("HTTP " + res.status);
      }
      return res.json();
    }).then(function () {
      form.setAttribute("data-confirm", "done");
      show("saved");
    }).catch(function (err) {
      // The button is still there and records the same answer.
      form.setAttribute("data-confirm", "failed");
      show("pending");
      console.warn("the rating was not confirmed automatically:", err);
    });
  }

  // whenSeen runs fn once the page is visible: not while it is prerendered
  // or opened in a background tab.
  function whenSeen(fn) {
    if (document.prerendering) {
      document.addEventListener("prerenderingchange", function () { whenSeen(fn); }, { once: true });
      return;
    }
    if (document.visibilityState === "visible") {
      fn();
      return;
    }
    var onChange = function () {
      if (document.visibilityState === "visible") {
        document.removeEventListener("visibilitychange", onChange);
        fn();
      }
    };
    document.addEventListener("visibilitychange", onChange);
  }

  whenSeen(confirmScore);
})();
