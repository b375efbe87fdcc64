"""HTTP edge of the fleet service: routers, errors, limits and authentication."""
