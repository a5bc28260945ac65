"""docq: answer questions about your own documents with a local LLM."""

__version__ = "0.1.0"
