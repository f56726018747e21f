//! The fleet overview's bundle (overview.html, served at `/overview`).

fn main() {
    tlswatch_frontend::start(tlswatch_frontend::pages::overview::Overview);
}
