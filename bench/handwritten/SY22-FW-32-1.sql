-- SY22-FW-32-1 (sequence): after a 不满意 or 非常不满意 好差评评价 (from 2022-05-12 to the end
-- of 2022), the case must be 核实, then 整改 (or 核实 as 不属实), then 反馈, in that order;
-- an incomplete case is judged once 20 working days have passed; a case whose bad rating
-- was withdrawn on review (差评申诉复核, 撤销差评) is out of scope. Written by hand.
-- $log: the CSV; $as_of: the moment judged; table cal(d, wpos) built by handwritten.py.
WITH ev AS (
    SELECT case_id, event_type, "timestamp" AS ts, unit, 评价等级 AS grade,
           核实结论 AS verdict, 复核结论 AS review
    FROM read_csv($log, header = true, all_varchar = true, auto_detect = true,
                  types = {'timestamp': 'TIMESTAMP'})
    WHERE event_type IN ('好差评评价', '差评核实', '差评整改', '差评反馈', '差评申诉复核')
      AND "timestamp" <= $as_of
),
opened AS (
    SELECT case_id, arg_min(unit, ts) AS unit, min(ts) AS start_ts
    FROM ev WHERE event_type = '好差评评价' AND grade IN ('不满意', '非常不满意')
    GROUP BY case_id
    HAVING min(ts) >= TIMESTAMP '2022-05-12' AND min(ts) < TIMESTAMP '2023-01-01'
       AND case_id NOT IN (SELECT case_id FROM ev
                           WHERE event_type = '差评申诉复核' AND review = '撤销差评')
),
steps AS (
    SELECT o.case_id, o.unit, o.start_ts,
           min(CASE WHEN e.event_type = '差评核实' THEN e.ts END) AS s0,
           min(CASE WHEN e.event_type = '差评整改'
                     OR (e.event_type = '差评核实' AND e.verdict = '不属实') THEN e.ts END) AS s1,
           min(CASE WHEN e.event_type = '差评反馈' THEN e.ts END) AS s2
    FROM opened o LEFT JOIN ev e ON e.case_id = o.case_id AND e.ts >= o.start_ts
    GROUP BY o.case_id, o.unit, o.start_ts
),
judged AS (
    SELECT s.*, c2.d + INTERVAL 1 DAY - INTERVAL 1 SECOND AS settled_ts,
           s0 IS NOT NULL AND s1 IS NOT NULL AND s2 IS NOT NULL AS complete
    FROM steps s JOIN cal c1 ON c1.d = CAST(s.start_ts AS DATE)
    JOIN cal c2 ON c2.wpos = c1.wpos + 20 AND c2.is_workday
)
SELECT case_id, unit,
       CASE WHEN NOT complete THEN 'missing_step' ELSE 'out_of_order' END AS type
FROM judged
WHERE (NOT complete AND $as_of > settled_ts) OR (complete AND NOT (s0 <= s1 AND s1 <= s2))
ORDER BY case_id
