/* AgriTrace page behaviour shared by every page (loaded by base.html). No framework;
 * everything here is an enhancement: pages work without it. */
(function () {
  'use strict';

  document.documentElement.classList.add('js');

  // Dismissible alerts: <button data-dismiss="alert"> removes its .alert.
  document.addEventListener('click', function (event) {
    var button = event.target.closest && event.target.closest('[data-dismiss="alert"]');
    if (!button) {
      return;
    }
    var alert = button.closest('.alert');
    if (alert) {
      alert.remove();
    }
  });

  // <select data-autosubmit> submits its form on change (the language switcher).
  document.addEventListener('change', function (event) {
    var target = event.target;
    if (target && target.matches && target.matches('select[data-autosubmit]') && target.form) {
      if (typeof target.form.requestSubmit === 'function') {
        target.form.requestSubmit();
      } else {
        target.form.submit();
      }
    }
  });
}());
