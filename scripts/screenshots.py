"""Screenshots for the README: the console's customer page and its template editor with the
live preview, and in the Temporal UI the enrollment list filtered by a search attribute and one
enrollment's page with its summary and details.

Starts the dev stack on spare ports in a temporary directory (demo data included) and drives
Debian's Chromium (`apt-get install chromium`) with Playwright, never downloading a browser.
Run with `make screenshots`.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "img"
PORTS = {"API": 18400, "POSTGRES": 18401, "TEMPORAL": 18402, "TEMPORAL_UI": 18403}


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    sys.exit("Chromium is needed: apt-get install chromium")


def _shoot(page: Page, url: str, wait_for: str, target: Path) -> None:
    page.goto(url)
    try:
        page.get_by_text(wait_for).first.wait_for(timeout=20_000)
    except Exception:  # the page still renders; take what is there and say so
        print(f"note: '{wait_for}' not seen on {url}")
    time.sleep(4)  # let the remaining panels finish rendering
    page.screenshot(path=str(target))
    print(f"wrote {target.relative_to(ROOT)}")


def _console(page: Page, link: str) -> None:
    """Signed in with the banner's one-time link: the demo's first customer, then a new template
    previewed against it."""
    page.goto(link)
    page.get_by_role("heading", name="Customers").wait_for()
    page.get_by_role("link", name="Globex Holdings").click()
    page.get_by_role("heading", name="What happens next").wait_for()
    page.screenshot(path=str(OUT / "console-customer.png"), full_page=True)
    print(f"wrote {(OUT / 'console-customer.png').relative_to(ROOT)}")

    page.goto(link.split("/console/")[0] + "/console/templates/new")
    page.get_by_label("Name", exact=True).fill("Friendly reminder")
    page.get_by_label("Subject").fill("Invoice {{ invoice.number }}: {{ invoice.balance_due_text }} due")
    page.get_by_label("HTML body").fill(
        "<p>Dear {{ customer.name }},</p>\n<p>Invoice {{ invoice.number }} for "
        "{{ invoice.balance_due_text }} is due {{ invoice.due_date_text }}.</p>\n<p>Thank you!</p>"
    )
    page.get_by_label("Text body").fill(
        "Dear {{ customer.name }}, invoice {{ invoice.number }} for {{ invoice.balance_due_text }} "
        "is due {{ invoice.due_date_text }}."
    )
    page.get_by_label("Name or external id").fill("Globex")
    page.get_by_label("Customer", exact=True).select_option(label="Globex Holdings (DEMO-HQ)")
    page.locator("#preview .preview-subject").wait_for()
    time.sleep(1)  # the preview's frame paints
    page.screenshot(path=str(OUT / "console-template-editor.png"), full_page=True)
    print(f"wrote {(OUT / 'console-template-editor.png').relative_to(ROOT)}")


def main() -> None:
    browser_path = _chromium()
    OUT.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARCADENCE_")}
    env.update({f"ARCADENCE_{name}_PORT": str(port) for name, port in PORTS.items()})
    with tempfile.TemporaryDirectory(prefix="arcadence-shots-") as tmp:
        stack = subprocess.Popen(
            [str(Path(sys.executable).parent / "arcadence"), "dev", "--data-dir", f"{tmp}/data"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            assert stack.stdout is not None
            link = None
            for line in stack.stdout:
                if line.startswith("  Sign-in link"):
                    link = line.split()[-1]
                if "Press Ctrl-C to stop." in line:
                    break
            if link is None:
                sys.exit("the dev stack printed no sign-in link")
            time.sleep(5)  # let every demo enrollment plan its first step
            ui = f"http://127.0.0.1:{PORTS['TEMPORAL_UI']}/namespaces/default"
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=browser_path,
                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
                )
                page = browser.new_page(viewport={"width": 1440, "height": 900})
                _console(page, link)
                # The demo enrolls customer 1 first: its enrollment (and workflow) is number 1.
                query = quote('CustomerId="1"')
                _shoot(
                    page, f"{ui}/workflows?query={query}", "enrollment-1", OUT / "enrollments-by-customer.png"
                )
                _shoot(page, f"{ui}/workflows/enrollment-1", "Wait until", OUT / "enrollment-details.png")
                browser.close()
        finally:
            stack.send_signal(signal.SIGINT)
            stack.wait(timeout=60)


if __name__ == "__main__":
    main()
