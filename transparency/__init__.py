"""Public follow-up of the service: each day's figures from stored facts, the /transparencia
page and the open-data packages."""
