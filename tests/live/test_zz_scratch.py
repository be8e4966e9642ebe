import time, psycopg, subprocess, sys, os
from support.profiles import write_profile
def test_look(pgbouncer, tmp_path):
    pg = pgbouncer.server
    path = write_profile(tmp_path, "p.yaml", name="orders", conn_max_age="1", server={"idle_session_timeout": "3s"})
    c1 = psycopg.connect(pgbouncer.url() + "?application_name=rq-default", autocommit=True); c1.execute("select 1")
    c2 = psycopg.connect(pg.url() + "?application_name=celery", autocommit=True); c2.execute("select 1")
    c3 = psycopg.connect(pg.url(), autocommit=False); c3.execute("select 1")
    time.sleep(2.5)
    for out in ("table", "markdown", "json"):
        r = subprocess.run([sys.executable, "-m", "cloudtimeouts", "observe", str(path), "--database-url", pgbouncer.url(), "-o", out], capture_output=True, text=True)
        print(r.returncode); print(r.stdout); print(r.stderr)
