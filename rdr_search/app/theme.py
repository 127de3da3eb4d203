"""The app's Gradio theme: Gradio's default look, with every text and button colour at WCAG AA contrast.

Gradio's default theme draws secondary text (info lines, placeholders, the footer, a slider's bounds) in zinc-400
on white (1.9:1) and white on orange-500 buttons (2.8:1); these overrides bring each to at least 4.5:1 in light
and dark mode. The app's own HTML (cards, banners) is styled in static/style.css.
"""

from __future__ import annotations

import gradio as gr


def app_theme() -> gr.themes.Base:
    """The theme passed to ``Blocks.launch`` (in Gradio 6 the theme is a launch option)."""
    return gr.themes.Default().set(
        body_text_color_subdued="*neutral_600",
        body_text_color_subdued_dark="*neutral_400",
        input_placeholder_color="*neutral_500",
        input_placeholder_color_dark="*neutral_400",
        button_primary_background_fill="*primary_700",
        button_primary_background_fill_dark="*primary_700",
        button_primary_background_fill_hover="*primary_800",
        button_primary_background_fill_hover_dark="*primary_800",
        button_cancel_background_fill="#b91c1c",
        button_cancel_background_fill_hover="#991b1b",
        link_text_color="*secondary_700",
        link_text_color_dark="*secondary_300",
    )
