// Starts Swagger UI on /console/docs from the project's own files (no CDN); the schema is read with the console
// session. validatorUrl null: no badge fetched from validator.swagger.io (intranets have no internet).
window.addEventListener("DOMContentLoaded", function () {
  window.ui = SwaggerUIBundle({ url: "/console/openapi.json", dom_id: "#swagger-ui", deepLinking: true, validatorUrl: null });
});
