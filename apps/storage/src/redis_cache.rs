//! The shared cache tier on Redis. Every call has a short deadline, and
//! after a failure Redis is left alone for a moment: a lookup never waits
//! on, or fails because of, the cache.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use futures_util::StreamExt;
use redis::{AsyncCommands, aio::ConnectionManager};

#[derive(Clone, Debug)]
pub struct RedisConfig {
    pub url: String,
    /// Prepended to every key and channel, so several deployments (or test
    /// runs) can share one Redis.
    pub prefix: String,
    pub ttl: Duration,
    pub op_timeout: Duration,
}

pub(crate) struct RedisTier {
    client: redis::Client,
    manager: ConnectionManager,
    pub prefix: String,
    ttl_secs: u64,
    op_timeout: Duration,
    started: Instant,
    /// Milliseconds since `started` before which Redis is not tried again.
    resting_until: AtomicU64,
}

const REST_AFTER_FAILURE: Duration = Duration::from_secs(2);

impl RedisTier {
    pub fn new(config: &RedisConfig) -> Result<Self, redis::RedisError> {
        let client = redis::Client::open(config.url.as_str())?;
        let manager_config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(config.op_timeout * 4))
            .set_response_timeout(Some(config.op_timeout))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(500));
        let manager = ConnectionManager::new_lazy_with_config(client.clone(), manager_config)?;
        Ok(Self {
            client,
            manager,
            prefix: config.prefix.clone(),
            ttl_secs: config.ttl.as_secs().max(1),
            op_timeout: config.op_timeout,
            started: Instant::now(),
            resting_until: AtomicU64::new(0),
        })
    }

    fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    fn available(&self) -> bool {
        self.now_ms() >= self.resting_until.load(Ordering::Relaxed)
    }

    /// Rests Redis after a failure; logs once per rest, not per request.
    fn failed(&self, what: &str, err: &dyn std::fmt::Display) {
        let now = self.now_ms();
        let until = now + REST_AFTER_FAILURE.as_millis() as u64;
        let previous = self.resting_until.swap(until, Ordering::Relaxed);
        if previous <= now {
            tracing::warn!(error = %err, "redis {what} failed; serving without it for {}s", REST_AFTER_FAILURE.as_secs());
        }
    }

    async fn run<T, F>(&self, what: &str, op: F) -> Option<T>
    where
        F: std::future::Future<Output = redis::RedisResult<T>>,
    {
        if !self.available() {
            return None;
        }
        match tokio::time::timeout(self.op_timeout, op).await {
            Ok(Ok(v)) => Some(v),
            Ok(Err(e)) => {
                self.failed(what, &e);
                None
            }
            Err(_) => {
                self.failed(what, &"timed out");
                None
            }
        }
    }

    pub async fn get(&self, key: &str) -> Option<Vec<u8>> {
        let mut conn = self.manager.clone();
        let full = format!("{}{key}", self.prefix);
        self.run("get", async move { conn.get::<_, Option<Vec<u8>>>(full).await }).await.flatten()
    }

    pub async fn set(&self, key: &str, value: Vec<u8>, ttl_secs: Option<u64>) {
        let mut conn = self.manager.clone();
        let full = format!("{}{key}", self.prefix);
        let ttl = ttl_secs.unwrap_or(self.ttl_secs);
        self.run("set", async move { conn.set_ex::<_, _, ()>(full, value, ttl).await }).await;
    }

    /// Deletes the keys and tells every replica to drop its own copies.
    pub async fn invalidate(&self, keys: &[String]) {
        let mut conn = self.manager.clone();
        let full: Vec<String> = keys.iter().map(|k| format!("{}{k}", self.prefix)).collect();
        let channel = self.channel();
        let message = keys.join("\n");
        self.run("invalidate", async move {
            let mut pipe = redis::pipe();
            pipe.del(full).ignore().publish(channel, message).ignore();
            pipe.query_async::<()>(&mut conn).await
        })
        .await;
    }

    pub fn channel(&self) -> String {
        format!("{}invalidate", self.prefix)
    }

    /// Listens for invalidations from other replicas for as long as the
    /// process lives, reconnecting after failures. `on_keys` gets the keys
    /// to drop; `on_gap` is called when messages may have been missed.
    pub fn spawn_listener(
        self: &Arc<Self>,
        on_keys: impl Fn(&str) + Send + 'static,
        on_gap: impl Fn() + Send + 'static,
    ) {
        let tier = Arc::clone(self);
        tokio::spawn(async move {
            loop {
                match tier.client.get_async_pubsub().await {
                    Ok(mut pubsub) => {
                        if pubsub.subscribe(tier.channel()).await.is_ok() {
                            on_gap();
                            let mut messages = pubsub.on_message();
                            while let Some(msg) = messages.next().await {
                                if let Ok(payload) = msg.get_payload::<String>() {
                                    payload.lines().for_each(&on_keys);
                                }
                            }
                        }
                        on_gap();
                    }
                    Err(e) => tracing::debug!(error = %e, "redis invalidation listener cannot connect"),
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
    }
}
