"""Operations: the HTTP API bank staff use to run the human-agent queue (the console UI comes later)."""
