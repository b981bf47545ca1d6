"""The optional LLM: any OpenAI-compatible endpoints, in a fallback order, for a few narrow jobs.

    config.py     llm.yaml (or the SAHAYAK_LLM_URL shorthand) -> endpoints, deadlines, uses
    client.py     one chat request, tried endpoint by endpoint within the deadline; None if none answered
    classify.py   name the intent when the local router is unsure (only one the persona can run)
    phrase.py     a knowledge-base answer in the customer's language, with no number the sources lack
    summarise.py  a handover note for the human agent who takes a case
    languages.py  the languages and scripts an answer may be written in
    tasks.py      what a turn calls: each job gated by `uses`, the case summary written after the reply

The risk scorer's second opinion (bot/workflows/llm_scorer.py) goes through the same client.

What the LLM never does: decide a tool call, choose a workflow step, see an unmasked message, or
produce the citation of an answer. Every job returns None on any doubt, and the caller then does
exactly what it does with no LLM configured, which is the default.
"""
