// After a passkey is registered, reload the two-step page so the new device is listed.
// (The registration ceremony itself is django-otp-webauthn's otp_webauthn_register.js.)
(function () {
  "use strict";
  document.addEventListener("otp_webauthn.register_complete", function () {
    var holder = document.querySelector("[data-passkey-register]");
    window.location.assign(holder ? holder.dataset.reloadUrl : window.location.pathname);
  });
})();
