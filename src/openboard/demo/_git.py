import subprocess
from pathlib import Path

_IDENTITY = ["-c", "user.name=openboard", "-c", "user.email=openboard@localhost"]


def commit_all(folder: Path, message: str) -> str:
    """Make `folder` a git repository if needed, commit everything, return the commit sha."""
    if not (folder / ".git").exists():
        subprocess.run(["git", "init", "-q", "-b", "main", str(folder)], check=True)
    subprocess.run(["git", "-C", str(folder), "add", "-A"], check=True)
    subprocess.run(
        ["git", *_IDENTITY, "-C", str(folder), "commit", "-q", "--allow-empty", "-m", message],
        check=True,
    )
    out = subprocess.run(
        ["git", "-C", str(folder), "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    )
    return out.stdout.strip()
