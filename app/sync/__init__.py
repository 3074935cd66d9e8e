"""Public sync: the change log as the public sees it, for apps that keep a local copy."""
