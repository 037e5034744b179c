"""Business operations behind the routes: queries and writes, never a commit (the request owns it)."""
