-- GB-OGI-26-1 (deadline, working days): an information made or changed (主动公开) must be
-- published within 20 working days. Written by hand, the way an analyst would answer the
-- one question with DuckDB alone: read four columns of the rows of three event types,
-- each case's first start and first publication after it, the due day from a calendar.
-- $log: the CSV; $as_of: the moment judged; table cal(d, wpos) built by handwritten.py.
WITH ev AS (
    SELECT case_id, event_type, "timestamp" AS ts, unit, 公开属性 AS attr
    FROM read_csv($log, header = true, all_varchar = true, auto_detect = true,
                  types = {'timestamp': 'TIMESTAMP'})
    WHERE event_type IN ('政府信息形成', '政府信息变更', '信息公开发布') AND "timestamp" <= $as_of
),
starts AS (
    SELECT case_id, arg_min(unit, ts) AS unit, min(ts) AS start_ts
    FROM ev WHERE event_type IN ('政府信息形成', '政府信息变更') AND attr = '主动公开'
    GROUP BY case_id HAVING min(ts) >= TIMESTAMP '2019-05-15'
),
ends AS (
    SELECT s.case_id, min(e.ts) AS end_ts
    FROM starts s JOIN ev e ON e.case_id = s.case_id AND e.event_type = '信息公开发布'
                           AND e.ts >= s.start_ts
    GROUP BY s.case_id
),
due AS (
    SELECT s.*, n.end_ts, c2.d + INTERVAL 1 DAY - INTERVAL 1 SECOND AS due_ts
    FROM starts s LEFT JOIN ends n USING (case_id)
    JOIN cal c1 ON c1.d = CAST(s.start_ts AS DATE)
    JOIN cal c2 ON c2.wpos = c1.wpos + 20 AND c2.is_workday
)
SELECT case_id, unit, due_ts,
       CASE WHEN end_ts IS NULL THEN 'overdue_open' ELSE 'late' END AS type
FROM due
WHERE coalesce(end_ts, $as_of) > due_ts
ORDER BY case_id
