FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY pipeline ./pipeline
COPY config ./config
RUN pip install --no-cache-dir . && useradd --create-home newswatch && mkdir -p /app/data && chown newswatch /app/data
USER newswatch
ENTRYPOINT ["newswatch"]
CMD ["--config", "config/newswatch.toml", "serve"]
