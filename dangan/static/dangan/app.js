// Dangan's page behaviour, in one file (no inline script: the Content-Security-Policy
// allows scripts from this server only). Each part acts only where its markup is.
(function () {
  "use strict";

  // A <select data-autosubmit> sends its form when changed (language, token owner).
  document.addEventListener("change", function (event) {
    var select = event.target.closest && event.target.closest("select[data-autosubmit]");
    if (select && select.form) select.form.submit();
  });

  // "补交" on a missing checklist row picks that document type in the upload form.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-pick]");
    if (!link) return;
    var select = document.querySelector("#upload select[name=checklist_item]");
    if (select) { select.value = link.dataset.pick; select.focus(); }
  });

  // The customer form shows only the fieldset that fits the chosen kind.
  function customerKind() {
    var form = document.getElementById("customer-form");
    if (!form) return;
    function sync() {
      var checked = form.querySelector("input[name=kind]:checked");
      var kind = checked ? checked.value : "individual";
      form.querySelectorAll("fieldset[data-kind]").forEach(function (fs) {
        fs.hidden = fs.dataset.kind !== kind;
      });
    }
    form.addEventListener("change", sync);
    sync();
  }

  // The header's menu on narrow screens: one button opens and closes the links, the
  // search box and the user's corner (CSS hides them below 760 px until opened).
  function menuToggle() {
    var bar = document.querySelector(".topbar");
    var button = bar && bar.querySelector(".menu-toggle");
    if (!button) return;
    button.addEventListener("click", function () {
      var open = bar.classList.toggle("open");
      button.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }
  function setUp() {
    customerKind();
    menuToggle();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();

// 作废 / 替换 on the dossier page: open the reason dialog for that document (issue 23).
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var opener = event.target.closest && event.target.closest("[data-dialog]");
    if (opener) {
      var dialog = document.getElementById(opener.dataset.dialog);
      if (!dialog || typeof dialog.showModal !== "function") return;
      var form = dialog.querySelector("form");
      form.reset();
      form.setAttribute("action", opener.dataset.action);
      var name = dialog.querySelector("[data-doc-name]");
      if (name) name.textContent = opener.dataset.doc || "";
      dialog.showModal();
      var reason = dialog.querySelector("textarea[name=reason]");
      if (reason) reason.focus();
      return;
    }
    var closer = event.target.closest && event.target.closest("[data-close]");
    if (closer) {
      var open = closer.closest("dialog");
      if (open) open.close();
    }
  });
})();
