-- The delivery partners named by the source text and the seven programmes of the catalogue.
-- Fixed ids, so that every installation and every client agrees on them.

-- +goose Up
INSERT INTO organisations (id, kind, name, region) VALUES
    ('01900000-0000-7000-8000-000000000001', 'partner', 'The Prince''s Trust', 'london'),
    ('01900000-0000-7000-8000-000000000002', 'partner', 'Street Doctors', 'east_of_england');

INSERT INTO programmes (id, code, name, category, description, min_age, max_age, requires_benefit,
                        min_duration_days, max_duration_days, delivery_partner_id) VALUES
    ('01900000-0000-7000-8000-000000000101', 'step_into_work', 'Step into Work', 'employability',
     'An off-the-shelf employability programme for adults aged 19 or over on working-age benefits: work placements and training over 6 to 12 weeks.',
     19, NULL, true, 42, 84, NULL),
    ('01900000-0000-7000-8000-000000000102', 'get_into', 'Get Into', 'employability',
     'The Prince''s Trust programme of class-based learning and hands-on work placements, lasting 4 to 6 weeks, for young people aged 16 to 30.',
     16, 30, false, 28, 42, '01900000-0000-7000-8000-000000000001'),
    ('01900000-0000-7000-8000-000000000103', 'get_started', 'Get Started', 'employability',
     'A 2 to 3 day intensive of employability skills training and interviews with several employers for live job opportunities, for young people aged 16 to 30.',
     16, 30, false, 2, 3, '01900000-0000-7000-8000-000000000001'),
    ('01900000-0000-7000-8000-000000000104', 'professional_mentoring', 'Professional online mentoring', 'mentoring',
     'A young person is matched to an online professional mentor for up to six months while preparing for and starting employment.',
     16, 30, false, 1, 183, '01900000-0000-7000-8000-000000000001'),
    ('01900000-0000-7000-8000-000000000105', 'street_doctors_peer_mentoring', 'Street Doctors peer mentoring', 'mentoring',
     'Life-saving skills, emergency first aid and careers guidance for young people in areas of high youth violence; some train as peer mentors.',
     14, 25, false, NULL, NULL, '01900000-0000-7000-8000-000000000002'),
    ('01900000-0000-7000-8000-000000000106', 'work_experience', 'Work experience', 'work_experience',
     'A placement in an NHS setting to learn what working there is like.',
     14, NULL, false, NULL, NULL, NULL),
    ('01900000-0000-7000-8000-000000000107', 'work_related_learning', 'Work-related learning', 'work_related_learning',
     'Careers events, talks, insight days and other learning about work in health and social care.',
     14, NULL, false, NULL, NULL, NULL);

-- +goose Down
DELETE FROM programmes WHERE id::text LIKE '01900000-0000-7000-8000-0000000001%';
DELETE FROM organisations WHERE id IN ('01900000-0000-7000-8000-000000000001', '01900000-0000-7000-8000-000000000002');
