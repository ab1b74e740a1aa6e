// Loads Clerk's browser SDK (the script tag in the layout defines
// window.Clerk), which keeps the __session cookie fresh, and makes the
// header's sign-out end the Clerk session too. Served from the app's own
// origin, so that the Content-Security-Policy needs no inline script.
"use strict";
window.addEventListener("load", async function () {
  if (!window.Clerk) return;
  await window.Clerk.load();
  const form = document.getElementById("sign-out");
  if (form) {
    form.addEventListener("submit", async function (ev) {
      ev.preventDefault();
      await window.Clerk.signOut();
      form.submit();
    });
  }
});
