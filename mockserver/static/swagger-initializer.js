// Starts Swagger UI on /docs with the settings the page carries in #mock-config (see docs.py).
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("mock-config").textContent);
  var ui = SwaggerUIBundle({
    url: config.specUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    displayRequestDuration: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    onComplete: function () {
      if (config.authorization) {
        ui.preauthorizeApiKey(config.securityScheme, config.authorization);
      }
    }
  });
  window.ui = ui;
})();
