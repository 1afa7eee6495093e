//! The three backing stores: health checks and the notes operations over redis, postgres and rabbitmq.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use lapin::options::{BasicPublishOptions, ConfirmSelectOptions, QueueDeclareOptions};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Connection, ConnectionProperties};
use serde_json::{json, Value};

use crate::config::Config;

/// Redis key of the notes counter.
pub const COUNTER_KEY: &str = "berth-demo:notes";
/// Durable queue every note is published to.
pub const QUEUE: &str = "berth-demo.notes";
const TIMEOUT: Duration = Duration::from_secs(3);

/// A failure of one dependency, named so that /health and error bodies can say which.
#[derive(Debug)]
pub struct Error {
    pub dependency: &'static str,
    pub message: String,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.dependency, self.message)
    }
}

fn err(dependency: &'static str) -> impl Fn(String) -> Error {
    move |message| Error {
        dependency,
        message,
    }
}

/// Runs `fut` with the per-operation timeout, mapping both failure kinds to a message.
async fn timed<T, E: fmt::Display>(fut: impl Future<Output = Result<T, E>>) -> Result<T, String> {
    match tokio::time::timeout(TIMEOUT, fut).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("timed out after {}s", TIMEOUT.as_secs())),
    }
}

/// Connections are opened per request: the demo must ride out its stores restarting (down/up),
/// and a fresh connection is the simplest way to never hold a dead one.
pub struct Deps {
    config: Config,
}

impl Deps {
    pub fn new(config: Config) -> Self {
        Self { config }
    }

    /// Checks every configured dependency concurrently; unset ones are left out.
    pub async fn health(&self) -> Vec<(&'static str, Result<(), String>)> {
        let (r, p, q) = tokio::join!(
            opt(self.config.redis_url.as_deref(), redis_ping),
            opt(self.config.postgres_url.as_deref(), postgres_ping),
            opt(self.config.rabbitmq_url.as_deref(), rabbitmq_ping),
        );
        [("redis", r), ("postgres", p), ("rabbitmq", q)]
            .into_iter()
            .filter_map(|(name, res)| res.map(|res| (name, res)))
            .collect()
    }

    /// Stores the note in postgres, counts it in redis and publishes it to rabbitmq.
    pub async fn add_note(&self, body: &str) -> Result<Value, Error> {
        let mut out = serde_json::Map::new();
        if let Some(url) = &self.config.postgres_url {
            let id = postgres_insert(url, body).await.map_err(err("postgres"))?;
            out.insert("id".into(), json!(id));
        }
        if let Some(url) = &self.config.redis_url {
            let n = redis_incr(url).await.map_err(err("redis"))?;
            out.insert("counter".into(), json!(n));
        }
        if let Some(url) = &self.config.rabbitmq_url {
            rabbitmq_publish(url, body.as_bytes())
                .await
                .map_err(err("rabbitmq"))?;
            out.insert("published".into(), json!(true));
        }
        Ok(Value::Object(out))
    }

    /// Rows in postgres, the redis counter and the messages waiting in the queue.
    pub async fn notes(&self) -> Result<Value, Error> {
        let mut out = serde_json::Map::new();
        if let Some(url) = &self.config.postgres_url {
            let n = postgres_count(url).await.map_err(err("postgres"))?;
            out.insert("count".into(), json!(n));
        }
        if let Some(url) = &self.config.redis_url {
            let n = redis_counter(url).await.map_err(err("redis"))?;
            out.insert("counter".into(), json!(n));
        }
        if let Some(url) = &self.config.rabbitmq_url {
            let n = rabbitmq_queued(url).await.map_err(err("rabbitmq"))?;
            out.insert("queued".into(), json!(n));
        }
        Ok(Value::Object(out))
    }
}

async fn opt<'a, F, Fut>(url: Option<&'a str>, f: F) -> Option<Result<(), String>>
where
    F: FnOnce(&'a str) -> Fut,
    Fut: Future<Output = Result<(), String>>,
{
    match url {
        Some(u) => Some(f(u).await),
        None => None,
    }
}

// --- redis --------------------------------------------------------------------------------------

async fn redis_conn(url: &str) -> Result<redis::aio::MultiplexedConnection, String> {
    let client = redis::Client::open(url).map_err(|e| e.to_string())?;
    timed(client.get_multiplexed_async_connection()).await
}

async fn redis_ping(url: &str) -> Result<(), String> {
    let mut c = redis_conn(url).await?;
    let pong: String = timed(redis::cmd("PING").query_async(&mut c)).await?;
    if pong == "PONG" {
        Ok(())
    } else {
        Err(format!("unexpected PING answer {pong:?}"))
    }
}

async fn redis_incr(url: &str) -> Result<i64, String> {
    let mut c = redis_conn(url).await?;
    timed(redis::cmd("INCR").arg(COUNTER_KEY).query_async(&mut c)).await
}

async fn redis_counter(url: &str) -> Result<i64, String> {
    let mut c = redis_conn(url).await?;
    let v: Option<i64> = timed(redis::cmd("GET").arg(COUNTER_KEY).query_async(&mut c)).await?;
    Ok(v.unwrap_or(0))
}

// --- postgres -----------------------------------------------------------------------------------

async fn postgres_client(url: &str) -> Result<tokio_postgres::Client, String> {
    let (client, connection) = timed(tokio_postgres::connect(url, tokio_postgres::NoTls)).await?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            eprintln!("berth-demo: postgres connection: {e}");
        }
    });
    Ok(client)
}

async fn postgres_ping(url: &str) -> Result<(), String> {
    let c = postgres_client(url).await?;
    timed(c.simple_query("SELECT 1")).await.map(|_| ())
}

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS notes (
    id bigserial PRIMARY KEY,
    body text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
)";

async fn postgres_insert(url: &str, body: &str) -> Result<i64, String> {
    let c = postgres_client(url).await?;
    timed(c.batch_execute(SCHEMA)).await?;
    let row = timed(c.query_one(
        "INSERT INTO notes (body) VALUES ($1) RETURNING id",
        &[&body],
    ))
    .await?;
    Ok(row.get(0))
}

async fn postgres_count(url: &str) -> Result<i64, String> {
    let c = postgres_client(url).await?;
    timed(c.batch_execute(SCHEMA)).await?;
    let row = timed(c.query_one("SELECT count(*) FROM notes", &[])).await?;
    Ok(row.get(0))
}

// --- rabbitmq -----------------------------------------------------------------------------------

async fn rabbitmq_channel(url: &str) -> Result<(Connection, lapin::Channel), String> {
    let conn = timed(Connection::connect(url, ConnectionProperties::default())).await?;
    let channel = timed(conn.create_channel()).await?;
    Ok((conn, channel))
}

async fn rabbitmq_close(conn: Connection) {
    let _ = tokio::time::timeout(TIMEOUT, conn.close(200, "bye".into())).await;
}

async fn declare(channel: &lapin::Channel) -> Result<lapin::Queue, String> {
    let options = QueueDeclareOptions {
        durable: true,
        ..QueueDeclareOptions::default()
    };
    timed(channel.queue_declare(QUEUE.into(), options, FieldTable::default())).await
}

async fn rabbitmq_ping(url: &str) -> Result<(), String> {
    let (conn, _channel) = rabbitmq_channel(url).await?;
    rabbitmq_close(conn).await;
    Ok(())
}

async fn rabbitmq_publish(url: &str, payload: &[u8]) -> Result<(), String> {
    let (conn, channel) = rabbitmq_channel(url).await?;
    let result = async {
        timed(channel.confirm_select(ConfirmSelectOptions::default())).await?;
        declare(&channel).await?;
        // delivery_mode 2 = persistent: with the durable queue the note survives a broker restart.
        let confirm = timed(channel.basic_publish(
            "".into(),
            QUEUE.into(),
            BasicPublishOptions::default(),
            payload,
            BasicProperties::default().with_delivery_mode(2),
        ))
        .await?;
        let confirmation = timed(confirm).await?;
        if confirmation.is_nack() {
            return Err("broker refused the message".to_string());
        }
        Ok(())
    }
    .await;
    rabbitmq_close(conn).await;
    result
}

async fn rabbitmq_queued(url: &str) -> Result<u32, String> {
    let (conn, channel) = rabbitmq_channel(url).await?;
    let result = declare(&channel).await.map(|q| q.message_count());
    rabbitmq_close(conn).await;
    result
}
