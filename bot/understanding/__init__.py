"""Understanding what a customer wrote: the intent router (router.py) over the intent catalogue
(personalities/intents/catalogue.yaml, loaded and checked by catalogue.py)."""
