//! The head of every page: the name, what the page shows, and the link to
//! the other page (which loads it: each page is its own bundle).

use leptos::prelude::*;

#[component]
pub fn Masthead(
    tagline: &'static str,
    /// The other page's path and name.
    link: (&'static str, &'static str),
    /// What the page adds at the end (the dashboard's demo badge).
    #[prop(optional)]
    children: Option<Children>,
) -> impl IntoView {
    let (href, name) = link;
    view! {
        <header class="masthead">
            <div>
                <h1>"tlswatch"</h1>
                <p class="tagline">{tagline}</p>
            </div>
            <nav aria-label="Pages"><a href=href rel="external">{name}</a></nav>
            {children.map(|children| children())}
        </header>
    }
}
