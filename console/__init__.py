"""The crew and service-centre web console: server-rendered pages for work orders."""
