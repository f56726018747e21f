//! The dashboard's bundle (index.html): one view of the metrics, its chart,
//! summary, ranking and review.

fn main() {
    tlswatch_frontend::start(tlswatch_frontend::pages::dashboard::Dashboard);
}
