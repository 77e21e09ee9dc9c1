"""An offline Vertex AI: the model registry, endpoints and online predictions, on 127.0.0.1."""
