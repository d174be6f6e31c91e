// A second press of a form's button while the first is on its way sends the form twice
// (two grants, two bids, two pools). The first submit of a POST form marks it busy and, once
// the browser has read the pressed button's value, disables its buttons; both are undone
// when the page is shown again (the back button restores it from the cache).
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (event.defaultPrevented || !(form instanceof HTMLFormElement)) {
    return;
  }
  if ((form.getAttribute("method") || "get").toLowerCase() !== "post") {
    return;
  }
  if (form.dataset.submitting === "true") {
    event.preventDefault();
    return;
  }
  form.dataset.submitting = "true";
  form.setAttribute("aria-busy", "true");
  window.setTimeout(function () {
    form.querySelectorAll("button, input[type=submit]").forEach(function (button) {
      if (!button.disabled) {
        button.disabled = true;
        button.dataset.disabledWhileSending = "true";
      }
    });
  }, 0);
});

window.addEventListener("pageshow", function () {
  document.querySelectorAll("form[data-submitting]").forEach(function (form) {
    delete form.dataset.submitting;
    form.removeAttribute("aria-busy");
    form.querySelectorAll("[data-disabled-while-sending]").forEach(function (button) {
      button.disabled = false;
      delete button.dataset.disabledWhileSending;
    });
  });
});

// A page that answers a form puts its error summary or its "done" banner first and marks it
// data-focus-on-load: the keyboard's focus goes there, so a screen reader reads it first.
(function () {
  var target = document.querySelector("[data-focus-on-load]");
  if (target) {
    target.focus();
    // Going to a #fragment (a redirect to "#grants") focuses the page itself once it has
    // loaded, taking the focus off the banner: give it back, so it is still read first.
    if (location.hash) {
      window.addEventListener("load", function () {
        target.focus();
      });
    }
  }
})();
