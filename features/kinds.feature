# language: zh-CN
功能: 各类规则
  督查人员把各单位的事件记录导入，按工作要点的每一条检查谁没有做到。

  场景: 每例差评都要核实、整改、反馈（顺序规则）
    假如规则
      """
      id: F-SEQ
      title: 差评核实整改反馈到位
      kind: sequence
      severity: error
      source: {document: 测试, number: 测试, clause: 一、, quote: 每例差评核实、整改、反馈到位}
      trigger: {event_type: 差评}
      steps: [{event_type: 差评核实}, {event_type: 差评整改}, {event_type: 差评反馈}]
      ordered: true
      """
    假如事件
      | case_id | event_type | timestamp        |
      | 好      | 差评       | 2021-03-01 09:00 |
      | 好      | 差评核实   | 2021-03-02 09:00 |
      | 好      | 差评整改   | 2021-03-03 09:00 |
      | 好      | 差评反馈   | 2021-03-04 09:00 |
      | 缺      | 差评       | 2021-03-01 09:00 |
      | 缺      | 差评核实   | 2021-03-02 09:00 |
      | 乱      | 差评       | 2021-03-01 09:00 |
      | 乱      | 差评反馈   | 2021-03-02 09:00 |
      | 乱      | 差评核实   | 2021-03-03 09:00 |
      | 乱      | 差评整改   | 2021-03-04 09:00 |
    当检查
    那么违规为
      | case_id | type         |
      | 缺      | missing_step |
      | 乱      | out_of_order |

  场景: 每个规范性文件至少两种形式解读（数量规则）
    假如规则
      """
      id: F-MIN
      title: 规范性文件多种形式解读
      kind: min_count
      severity: error
      source: {document: 测试, number: 测试, clause: 一、, quote: 至少2种形式解读}
      subject: {event_type: 规范性文件发布}
      count: {event_type: 政策解读发布}
      at_least: 2
      distinct: 解读形式
      """
    假如事件
      | case_id | event_type     | timestamp        | 解读形式 | unit         |
      | 文1     | 规范性文件发布 | 2021-03-01 09:00 |          | 邵阳市财政局 |
      | 文1     | 政策解读发布   | 2021-03-01 09:00 | 文字     |              |
      | 文1     | 政策解读发布   | 2021-03-01 09:00 | 图解     |              |
      | 文2     | 规范性文件发布 | 2021-03-01 09:00 |          | 邵阳市教育局 |
      | 文2     | 政策解读发布   | 2021-03-01 09:00 | 文字     |              |
    当检查
    那么违规为
      | case_id | type         |
      | 文2     | insufficient |

  场景: 电子证照发放率按单位按季度不低于50%（比例规则）
    假如规则
      """
      id: F-RATIO
      title: 电子证照发放率
      kind: ratio
      severity: error
      source: {document: 测试, number: 测试, clause: 一、, quote: 电子证照发放率达到50%}
      effective: {from: 2021-01-01, to: 2021-12-31}
      population: {event_type: 办件办结}
      condition: {event_type: 电子证照发放}
      at_least: 0.5
      group_by: [unit]
      period: quarter
      """
    假如事件
      | case_id | event_type   | timestamp        | unit |
      | A1      | 办件办结     | 2021-02-01 09:00 | 甲局 |
      | A1      | 电子证照发放 | 2021-02-01 10:00 | 甲局 |
      | A2      | 办件办结     | 2021-02-02 09:00 | 甲局 |
      | B1      | 办件办结     | 2021-02-01 09:00 | 乙局 |
    当截至 "2021-04-10" 检查
    那么违规为
      | unit | period  | type            |
      | 乙局 | 2021-Q1 | below_threshold |

  场景: 各地按时完成标准目录编制（限期规则）
    假如规则
      """
      id: F-DUE
      title: 9月底前完成目录编制
      kind: due_by
      severity: error
      source: {document: 测试, number: 测试, clause: 一、, quote: 2020年9月底前完成}
      subjects_list: [{case_id: 城乡规划, unit: 大祥区}, {case_id: 户籍管理, unit: 双清区}]
      required: {event_type: 标准目录编制完成}
      by: 2020-09-30
      """
    假如事件
      | case_id  | event_type       | timestamp        |
      | 城乡规划 | 标准目录编制完成 | 2020-09-29 09:00 |
    当截至 "2020-10-08" 检查
    那么违规为
      | case_id  | type            |
      | 户籍管理 | missing_by_date |

  场景: 每季度至少更新一次（周期规则）
    假如规则
      """
      id: F-PER
      title: 每季度更新
      kind: periodic
      severity: warning
      source: {document: 测试, number: 测试, clause: 一、, quote: 每季度更新}
      effective: {from: 2021-01-01, to: 2021-12-31}
      event: {event_type: 专栏更新}
      every: quarter
      units: [甲局, 乙局]
      """
    假如事件
      | case_id | event_type | timestamp        | unit |
      | x1      | 专栏更新   | 2021-02-01 09:00 | 甲局 |
      | x2      | 专栏更新   | 2021-05-01 09:00 | 乙局 |
    当截至 "2021-07-02" 检查
    那么违规为
      | unit | period  | type              |
      | 乙局 | 2021-Q1 | missing_in_period |
      | 甲局 | 2021-Q2 | missing_in_period |

  场景: 受理登记要素齐全（必填字段规则）与红牌（禁止规则）
    假如规则
      """
      id: F-FIELDS
      title: 受理要素齐全
      kind: required_fields
      severity: error
      source: {document: 测试, number: 测试, clause: 一、, quote: 要素齐全}
      event: {event_type: 办件受理}
      fields: [申请人]
      """
    假如规则
      """
      id: F-FORBID
      title: 不得超时
      kind: forbidden
      severity: error
      source: {document: 测试, number: 测试, clause: 一、, quote: 不得超时}
      event: {event_type: 红牌}
      """
    假如事件
      | case_id | event_type | timestamp        | 申请人 |
      | A       | 办件受理   | 2021-03-01 09:00 | 张三   |
      | B       | 办件受理   | 2021-03-01 09:00 |        |
      | C       | 红牌       | 2021-03-05 09:00 |        |
    当检查
    那么违规为
      | case_id | type          |
      | B       | missing_field |
      | C       | forbidden     |

  场景: 核查为误报的红牌不需追责，只判定补正告知过的申请（排除与适用条件）
    假如规则
      """
      id: F-EXCLUDE
      title: 超时红牌须追责
      kind: sequence
      severity: error
      source: {document: 测试, number: 测试, clause: 一、, quote: 确保每牌必查、超时必究}
      trigger: {event_type: 红牌发出}
      steps: [{event_type: 红牌追责}]
      within: {workdays: 10}
      exclude: {event_type: 红牌核查, 核查结论: 误报}
      """
    假如规则
      """
      id: F-ONLY-IF
      title: 补正告知7个工作日内发出
      kind: deadline
      severity: error
      source: {document: 测试, number: 测试, clause: 一、, quote: 7个工作日内一次性告知申请人作出补正}
      start: {event_type: 公开申请收到}
      end: {event_type: 补正告知}
      within: {workdays: 7}
      only_if: {event_type: 补正告知}
      """
    假如事件
      | case_id | event_type   | timestamp        | 核查结论 |
      | 误报    | 红牌发出     | 2021-06-01 09:00 |          |
      | 误报    | 红牌核查     | 2021-06-30 09:00 | 误报     |
      | 属实    | 红牌发出     | 2021-06-01 09:00 |          |
      | 属实    | 红牌核查     | 2021-06-02 09:00 | 属实     |
      | 按期    | 公开申请收到 | 2021-06-01 09:00 |          |
      | 按期    | 补正告知     | 2021-06-10 09:00 |          |
      | 迟告知  | 公开申请收到 | 2021-06-01 09:00 |          |
      | 迟告知  | 补正告知     | 2021-06-11 09:00 |          |
      | 无需补正 | 公开申请收到 | 2021-06-01 09:00 |          |
    当截至 "2021-07-15 00:00" 检查
    那么违规为
      | case_id | type         |
      | 属实    | missing_step |
      | 迟告知  | late         |
    而且未判定为
      | reason       | count |
      | excluded     | 1     |
      | out_of_scope | 1     |

  场景: 原文未规定时限的环节留出20个工作日再判定，此后补做的不算逾期（判定前等待）
    假如规则
      """
      id: F-SETTLE
      title: 营商环境诉求办结后反馈
      kind: sequence
      severity: error
      source: {document: 测试, number: 测试, clause: 一、, quote: 确保限时整改、事后反馈}
      trigger: {event_type: 工单办结}
      steps: [{event_type: 诉求反馈}]
      settle: {workdays: 20, reason: 原文未规定时限，判定前留出20个工作日；只推迟判定、不作为期限}
      """
    假如事件
      | case_id | event_type | timestamp        |
      | 已满    | 工单办结   | 2021-04-09 09:00 |
      | 未满    | 工单办结   | 2021-04-28 09:00 |
      | 补做    | 工单办结   | 2021-04-09 09:00 |
      | 补做    | 诉求反馈   | 2021-05-20 09:00 |
    当截至 "2021-05-20 18:00" 检查
    那么违规为
      | case_id | type         |
      | 已满    | missing_step |
    而且未判定为
      | reason  | count |
      | not_due | 1     |

  场景: 比例指标的达标条件须在本期结束前满足，次年才开通的不计入本年（比例规则期末）
    假如规则
      """
      id: F-RATIO-END
      title: 政务服务事项网上可办率
      kind: ratio
      severity: error
      source: {document: 测试, number: 测试, clause: 一、, quote: 网上可办率达到100%}
      effective: {from: 2021-01-01, to: 2021-12-31}
      population: {event_type: 政务服务事项发布}
      condition: {event_type: 网上办理开通}
      at_least: 1.0
      group_by: [unit]
      period: year
      """
    假如事件
      | case_id | event_type       | timestamp        | unit   |
      | 甲1     | 政务服务事项发布 | 2021-02-01 09:00 | 武冈市 |
      | 甲1     | 网上办理开通     | 2021-12-31 17:00 | 武冈市 |
      | 乙1     | 政务服务事项发布 | 2021-02-01 09:00 | 隆回县 |
      | 乙1     | 网上办理开通     | 2022-01-04 09:00 | 隆回县 |
    当截至 "2022-01-10 00:00" 检查
    那么违规为
      | unit   | period | type            |
      | 隆回县 | 2021   | below_threshold |

  场景: 上年公布的事项也须在截止日前完成（限期完成的对象时间）
    假如规则
      """
      id: F-SUBJECTS
      title: 第三批一件事一次办事项4月1日前上线
      kind: due_by
      severity: error
      source: {document: 测试, number: 测试, clause: 一、, quote: 确保第三批事项于4月1日前上线运行}
      effective: {from: 2021-01-01, to: 2021-12-31}
      subjects: {event_type: 一件事事项公布}
      required: {event_type: 一件事事项上线}
      by: 2021-04-01
      subjects_window: {from: any}
      """
    假如事件
      | case_id | event_type     | timestamp        |
      | 上年    | 一件事事项公布 | 2020-12-15 09:00 |
      | 上年    | 一件事事项上线 | 2021-04-02 09:00 |
      | 本年    | 一件事事项公布 | 2021-01-20 09:00 |
      | 本年    | 一件事事项上线 | 2021-03-20 09:00 |
    当截至 "2021-05-01 00:00" 检查
    那么违规为
      | case_id | type |
      | 上年    | late |
