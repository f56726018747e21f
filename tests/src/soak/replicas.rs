//! The soak's replicas: tlswatch processes with the same flags, each on a
//! loopback port of its own that it keeps when started again, and what
//! each process left when it stopped: its peak memory, its log, its metrics.

use std::ffi::OsString;

use crate::Tlswatch;

/// A replica process that has stopped (killed, or at the end).
#[derive(Debug)]
pub struct Instance {
    pub replica: usize,
    pub peak_resident_mib: f64,
    pub log: Vec<String>,
    /// Its `/metrics` text just before it stopped.
    pub metrics: String,
}

pub struct Replicas {
    args: Vec<String>,
    env: Vec<(String, OsString)>,
    running: Vec<Option<Tlswatch>>,
    listen: Vec<String>,
    pub stopped: Vec<Instance>,
}

impl Replicas {
    /// Starts `count` replicas with `args` and `env`.
    pub fn start_all(count: usize, args: Vec<String>, env: Vec<(String, OsString)>) -> Self {
        let mut replicas = Self { args, env, running: Vec::new(), listen: Vec::new(), stopped: Vec::new() };
        for _ in 0..count {
            let started = replicas.spawn("127.0.0.1:0");
            replicas.listen.push(started.address().to_string());
            replicas.running.push(Some(started));
        }
        replicas
    }

    /// Starts a replica on `listen`: port 0 the first time, the port it
    /// held when started again.
    fn spawn(&self, listen: &str) -> Tlswatch {
        let args: Vec<&str> = self.args.iter().map(String::as_str).collect();
        let env: Vec<(&str, &std::ffi::OsStr)> = self.env.iter().map(|(k, v)| (k.as_str(), v.as_os_str())).collect();
        if listen.ends_with(":0") {
            Tlswatch::start_with_env(listen, &args, &env)
        } else {
            Tlswatch::start_again(listen, &args, &env)
        }
    }

    /// `http://ADDR` of every replica, whether it runs now or not.
    pub fn urls(&self) -> Vec<String> {
        self.listen.iter().map(|address| format!("http://{address}")).collect()
    }

    /// Starts replica `index` again, on its port.
    pub fn start(&mut self, index: usize) {
        assert!(self.running[index].is_none(), "replica {index} is running");
        let started = self.spawn(&self.listen[index].clone());
        self.running[index] = Some(started);
    }

    /// Kills replica `index` with SIGKILL, keeping what it leaves.
    pub async fn kill(&mut self, index: usize) {
        if let Some(instance) = self.running[index].take() {
            let left = left_by(index, &instance).await;
            drop(instance);
            self.stopped.push(left);
        }
    }

    /// Stops every replica; what every process of the run left.
    pub async fn finish(mut self) -> Vec<Instance> {
        for index in 0..self.running.len() {
            self.kill(index).await;
        }
        self.stopped
    }
}

async fn left_by(replica: usize, instance: &Tlswatch) -> Instance {
    let metrics = match reqwest::get(format!("{}/metrics", instance.metrics_listener())).await {
        Ok(response) => response.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    };
    Instance { replica, peak_resident_mib: instance.peak_resident_mib(), log: instance.log(), metrics }
}
