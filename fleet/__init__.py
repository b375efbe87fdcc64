"""Fleet tracking: GPS pings, their storage and progress against the plan."""
