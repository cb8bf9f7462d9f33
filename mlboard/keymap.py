"""Every key binding of the board as data: its id, its default keys and where it works.

Kept free of Textual, so that any command reading the config checks `[tool.mlboard.keymap]`
(an unknown binding id is refused like an unknown setting) and the TUI finds two bindings
remapped onto one key before it starts, without loading its screens. The screens build their
bindings from this table (`mlboard.tui.keys.bind`), so each key is written down once.

Keys are Textual key names (`slash`, `question_mark`, `ctrl+s`, `J` for shift+j); a binding
may have several, comma-separated. The app's own keys (`APP`) work on every screen: no screen
may give one of them to an action of its own, or that screen would lose the way out. Dialogs
(`DIALOGS`) take the keyboard for themselves, so the app's keys are off while one is open.
"""

from __future__ import annotations

APP = "app"

# Where each binding works: the app, each screen (with the widgets it holds), each dialog.
KEYMAP: dict[str, dict[str, str]] = {
    APP: {
        "show_board": "b",
        "show_experiments": "x",
        "show_models": "m",
        "show_planning": "p",
        "show_standup": "u",
        "show_data": "d",
        "show_governance": "g",
        "show_audit": "a",
        "sync": "s",
        "help": "question_mark",
        "quit": "q",
    },
    "board": {
        "column_left": "left,h",
        "column_right": "right,l",
        "card_up": "k",
        "card_down": "j",
        "move_next": "right_square_bracket,greater_than_sign",
        "move_previous": "left_square_bracket,less_than_sign",
        "new_story": "n",
        "edit_story": "e",
        "filter": "slash",
        "refresh": "r",
    },
    "experiments": {
        "filter": "slash",
        "select_run": "space",
        "compare_runs": "C",
        "open_run_story": "o",
        "sort_runs": "greater_than_sign",
        "reverse_runs": "less_than_sign",
        "more_runs": "plus",
        "link_run": "L",
        "unlink_run": "U",
        "refresh": "r",
        "run_up": "k",
        "run_down": "j",
        "run_first": "home",
        "run_last": "end,G",
    },
    "models": {"refresh": "r"},
    "planning": {
        "plan_add": "right_square_bracket,greater_than_sign",
        "plan_remove": "left_square_bracket,less_than_sign",
        "rank_up": "K,shift+up",
        "rank_down": "J,shift+down",
        "plan_estimates": "e",
        "plan_days_off": "D",
        "plan_charts": "c",
        "plan_choose_sprint": "S",
        "plan_refresh": "r",
        "plan_switch_list": "tab,shift+tab",
        "plan_backlog": "left,h",
        "plan_sprint": "right,l",
        "plan_back": "escape",
        "card_up": "k",
        "card_down": "j",
    },
    "charts": {"charts_close": "escape,c", "charts_refresh": "r"},
    "standup": {
        "next_person": "n,right",
        "previous_person": "N,left",
        "toggle_timer": "t",
        "reset_timer": "T",
        "copy_digest": "c",
        "save_digest": "S",
        "write_note": "w",
        "refresh_digest": "r",
    },
    "data": {
        "ack_alert": "A",
        "alert_story": "o",
        "check_alerts": "k",
        "refresh": "r",
    },
    "governance": {
        "edit_checklist": "c",
        "model_card": "M",
        "refresh": "r",
    },
    "audit": {"filter": "slash", "verify_audit": "v", "refresh": "r"},
    "run_detail": {
        "close_run": "escape",
        "open_run_story": "o",
        "toggle_mlflow_tags": "t",
        "refresh": "r",
    },
    "run_compare": {"close_compare": "escape", "toggle_equal_params": "e", "refresh": "r"},
    "story_detail": {
        "close_story": "escape,q",
        "edit_story": "e",
        "edit_checklist": "c",
        "compare_story": "C",
    },
    "story_form": {"form_cancel": "escape", "form_save": "ctrl+s"},
    "story_picker": {"picker_cancel": "escape", "picker_next": "down", "picker_previous": "up"},
    "checklist": {"close_checklist": "escape", "check_item": "ctrl+s", "uncheck_item": "u"},
    "model_card": {"close_model_card": "escape,q", "copy_model_card": "c"},
    "estimates": {"estimates_cancel": "escape", "estimates_save": "ctrl+s"},
    "days_off": {"days_off_cancel": "escape", "days_off_save": "ctrl+s"},
    "save_digest": {"save_cancel": "escape"},
    "note": {"note_cancel": "escape", "note_save": "ctrl+s"},
}
DIALOGS = frozenset(
    {
        "story_detail",
        "story_form",
        "story_picker",
        "checklist",
        "model_card",
        "estimates",
        "days_off",
        "save_digest",
        "note",
    }
)
# One binding id, one action: an id on several screens has the same keys on each.
DEFAULT_KEYS: dict[str, str] = {
    binding_id: keys for bindings in KEYMAP.values() for binding_id, keys in bindings.items()
}
