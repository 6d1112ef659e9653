// Starts Swagger UI on /docs from the project's own files (no CDN); the schema is read with the console session.
window.addEventListener("DOMContentLoaded", function () {
  window.ui = SwaggerUIBundle({ url: "/console/openapi.json", dom_id: "#swagger-ui", deepLinking: true });
});
